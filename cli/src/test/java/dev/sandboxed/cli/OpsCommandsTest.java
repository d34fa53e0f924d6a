package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.internal.control.ControlClient;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * {@code sandboxed ps/inspect/exec/kill/rm} against sandboxes another JVM ({@link SandboxHolder}) holds: this JVM and
 * CLI processes started from it reach them only through the state directory and that JVM's operations socket.
 */
@RequiresSandbox
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpsCommandsTest {
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    private static Path stateDir;
    private static Process holder;
    private static BufferedReader holderOut;
    private static String heldId;
    private static String keptId;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void startHolder() throws IOException {
        stateDir = Files.createTempDirectory(Path.of("/tmp"), "sbx-ops");
        List<String> command = new ArrayList<>(List.of(JAVA.toString(), "-cp", System.getProperty("java.class.path"),
                "-Dsandboxed.state.dir=" + stateDir));
        String parent = System.getProperty("sandboxed.cgroup.parent");
        if (parent != null) {
            command.add("-Dsandboxed.cgroup.parent=" + parent);
        }
        command.add(SandboxHolder.class.getName());
        holder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        holderOut = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String ready = holderOut.readLine();
        assertThat(ready).as("the holder's first line").startsWith("ready ");
        String[] ids = ready.split(" ");
        heldId = ids[1];
        keptId = ids[2];
    }

    @AfterAll
    static void stopHolder() throws Exception {
        if (holder != null) {
            holder.getOutputStream().close(); // the holder closes its runtime at the end of its stdin
            if (!holder.waitFor(30, TimeUnit.SECONDS)) {
                holder.destroyForcibly().waitFor();
            }
        }
        try (Stream<Path> files = Files.walk(stateDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** The CLI in a process of its own: exec hands over that process's stdin, stdout and stderr. */
    private record Cli(int exitCode, String stdout, String stderr) {
    }

    private static Cli cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(JAVA.toString()));
        if (Runtime.version().feature() >= 24) {
            // jnr's native access warnings would be mixed into the stderr the exec test compares.
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return runProcess(command);
    }

    /** The CLI's command line for a shell script, each argument quoted, with a trailing space. */
    private static String shellQuotedCliCommand() {
        StringBuilder cli = new StringBuilder();
        for (String arg : cliCommand()) {
            cli.append('\'').append(arg).append("' ");
        }
        return cli.toString();
    }

    private static List<String> cliCommand() {
        List<String> command = new ArrayList<>(List.of(JAVA.toString()));
        if (Runtime.version().feature() >= 24) {
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return command;
    }

    private static Cli runProcess(List<String> command) throws Exception {
        Path stderr = Files.createTempFile("sbx-ops", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            p.getOutputStream().close();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new Cli(p.exitValue(), stdout, Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    private String psLine(String id) {
        assertThat(run("ps", "--state-dir", stateDir.toString())).as(stderr()).isZero();
        return stdout().lines().filter(l -> l.startsWith(id)).findFirst().orElse("");
    }

    @Test
    @Order(1)
    void psListsTheSandboxesOfAnotherJvm() {
        String held = psLine(heldId);
        assertThat(held).contains(" " + holder.pid() + " ", " running ", "sleep 1000", "mem=64MiB");
        assertThat(held.split("\\s+")[7]).as("memory now").endsWith("iB"); // read from its cgroup by the owner
        assertThat(psLine(keptId)).contains(" " + holder.pid() + " ", " kept ");
        assertThat(stdout().lines().findFirst().orElse("")).startsWith("ID").contains("OWNER", "STATE", "AGE", "COMMAND",
                "LIMITS", "MEMORY", "CPU");
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void inspectShowsStateSpecAndUsage() throws Exception {
        assertThat(run("inspect", "--state-dir", stateDir.toString(), heldId.substring(0, 5))).as(stderr()).isZero();
        Map<String, Object> json = new ObjectMapper().readValue(stdout(), Map.class);
        Map<String, Object> state = (Map<String, Object>) json.get("state");
        Map<String, Object> sandbox = (Map<String, Object>) json.get("sandbox");
        assertThat(state).containsEntry("id", heldId).containsEntry("ownerPid", (int) holder.pid());
        assertThat(((Number) state.get("initPid")).intValue()).isPositive();
        assertThat(sandbox).containsEntry("state", "running").containsEntry("hostname", "opsbox")
                .containsEntry("command", List.of("sleep", "1000")).containsKeys("usage", "spec", "processes");
        assertThat((String) sandbox.get("spec")).contains("hostname=opsbox");
        assertThat((Map<String, Object>) sandbox.get("limits")).containsEntry("memoryMaxBytes", 64 << 20);
    }

    @Test
    @Order(3)
    void execRunsInTheSandboxWithTheCallersStdio() throws Exception {
        Cli r = cli("exec", "--state-dir", stateDir.toString(), heldId.substring(0, 6), "--", "sh", "-c",
                "hostname; cat /tmp/marker; echo to-stderr >&2; exit 3");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("opsbox\nheld-file\n");
        assertThat(r.stderr()).isEqualTo("to-stderr\n");
    }

    @Test
    @Order(3)
    void execTakesOptionsAfterTheIdOnlyBeforeDashes() throws Exception {
        Cli r = cli("exec", heldId, "-w", "/tmp", "-e", "X=x1", "--state-dir", stateDir.toString(), "-T", "--", "sh", "-c",
                "pwd; echo $X");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("/tmp\nx1\n");
        // Without "--" right after the options, what follows the ID is the command, a later "--" included.
        r = cli("exec", "--state-dir", stateDir.toString(), heldId, "sh", "-c", "echo \"$0 $1\"", "--", "-w");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("-- -w\n");
        r = cli("exec", "--state-dir", stateDir.toString(), heldId, "-w", "/tmp", "pwd", "--", "true");
        assertThat(r.exitCode()).isEqualTo(RunCommand.SANDBOX_ERROR);
        assertThat(r.stderr()).contains("exec takes only options between the sandbox ID and --, got 'pwd'");
    }

    @Test
    @Order(3)
    void execRelaysPipesAndNeverHandsTheCallersDescriptorsIn(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in"), "from-stdin\n");
        Path outFile = dir.resolve("out");
        List<String> command = new ArrayList<>(cliCommand());
        command.addAll(List.of("exec", "--state-dir", stateDir.toString(), heldId, "--", "sh", "-c",
                "stat -L -c '%F %d:%i' /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; cat; echo done >&2"));
        Process p = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(outFile.toFile())
                .redirectError(dir.resolve("err").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("err"))).isZero();
        List<String> lines = Files.readAllLines(outFile);
        // What the process holds are pipes the CLI made, not the caller's file: nothing to reopen through /proc.
        assertThat(lines).hasSize(4);
        String inFile = " " + devIno(in);
        String outputFile = " " + devIno(outFile);
        assertThat(lines.subList(0, 3)).allSatisfy(l -> assertThat(l).startsWith("fifo "))
                .noneMatch(l -> l.endsWith(inFile) || l.endsWith(outputFile));
        assertThat(lines.get(3)).isEqualTo("from-stdin");
        assertThat(Files.readString(dir.resolve("err"))).isEqualTo("done\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-T", "-t"})
    @Order(3)
    void execRelaysAllItsOutputToASlowReader(String mode) throws Exception {
        // Most of it is still in the pipes (or the pty) when the process exits, and our stdout takes long to take it.
        List<String> command = new ArrayList<>(cliCommand());
        command.addAll(List.of("exec", "--state-dir", stateDir.toString(), mode, heldId, "--", "seq", "1", "60000"));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        try (var in = p.getInputStream()) {
            for (int n; (n = in.read(buffer)) > 0; Thread.sleep(150)) {
                got.write(buffer, 0, n);
            }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 60000; i++) {
            expected.append(i).append(mode.equals("-t") ? "\r\n" : "\n"); // a pty's ONLCR
        }
        String output = got.toString(StandardCharsets.UTF_8);
        assertThat(output.length()).as("bytes relayed").isEqualTo(expected.length());
        assertThat(output).isEqualTo(expected.toString());
    }

    private static String devIno(Path file) throws IOException {
        return Files.getAttribute(file, "unix:dev") + ":" + Files.getAttribute(file, "unix:ino");
    }

    @Test
    @Order(3)
    void execFromATerminalGetsAFreshPtySizedAsItAndRestoresIt(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1) of util-linux for a terminal");
        String cli = shellQuotedCliCommand();
        Path script = Files.writeString(dir.resolve("t.sh"), String.join("\n",
                "stty rows 45 cols 123",
                "before=$(stty -g)",
                "echo outer=$(tty)",
                cli + "exec --state-dir " + stateDir + " " + heldId + " -- sh -c "
                        + "'echo inner=$(readlink /proc/self/fd/0); stty size; [ -t 1 ] && echo stdout-tty; exit 5'",
                "echo exit=$?",
                "[ \"$before\" = \"$(stty -g)\" ] && echo restored",
                cli + "exec --state-dir " + stateDir + " " + heldId + " -- sh -c "
                        + "'trap \"echo got-int; exit 7\" INT; tty; echo ready; while :; do sleep 1; done'",
                "echo exit=$?", ""));
        // Its stdin stays open until it ends: at the end of its stdin script(1) types an end-of-file into the terminal.
        Process p = new ProcessBuilder("/usr/bin/script", "-qec", "sh " + script, "/dev/null")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        StringBuilder output = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.append(line.replace("\r", "")).append('\n');
                if (line.startsWith("ready")) {
                    p.getOutputStream().write(3); // Ctrl-C, typed: the pty's line discipline makes it a SIGINT
                    p.getOutputStream().flush();
                }
            }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        p.getOutputStream().close();
        String out = output.toString();
        assertThat(out).contains("\n45 123\n", "\nstdout-tty\n", "\nexit=5\n", "\nrestored\n", "got-int\n",
                "\nexit=7\n");
        String outer = out.lines().filter(l -> l.startsWith("outer=")).findFirst().orElseThrow().substring(6);
        String inner = out.lines().filter(l -> l.startsWith("inner=")).findFirst().orElseThrow().substring(6);
        assertThat(inner).as("a pty of its own, not the caller's " + outer).matches("/dev/pts/\\d+").isNotEqualTo(outer);
    }

    @Test
    @Order(3)
    void execFromATerminalIntoAFileGetsPipesByteExact(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1) of util-linux for a terminal");
        String cli = shellQuotedCliCommand();
        // stdin is script's terminal, stdout a file: a pty would make every \n a \r\n and put stderr into the file.
        Path script = Files.writeString(dir.resolve("t.sh"), String.join("\n",
                "[ -t 0 ] && echo stdin-tty",
                cli + "exec --state-dir " + stateDir + " " + heldId + " -- python3 -c "
                        + "'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64); sys.stderr.write(\"to-stderr\\n\")'"
                        + " > " + dir.resolve("out") + " 2> " + dir.resolve("err"),
                "echo exit=$?", ""));
        Process p = new ProcessBuilder("/usr/bin/script", "-qec", "sh " + script, "/dev/null")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        p.getOutputStream().close();
        assertThat(output).contains("stdin-tty\n", "exit=0\n");
        byte[] expected = new byte[256 * 64];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
        }
        assertThat(Files.readAllBytes(dir.resolve("out"))).hasSize(expected.length).isEqualTo(expected);
        assertThat(Files.readString(dir.resolve("err"))).isEqualTo("to-stderr\n");
    }

    @Test
    @Order(3)
    void execIntoANonBlockingStdoutWaitsForItsReader() throws Exception {
        // A parent that shares its stdout non-blocking (python here, then exec): the CLI's writes meet EAGAIN.
        String script = "python3 -c 'import fcntl, os; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | "
                + "os.O_NONBLOCK)'; exec " + shellQuotedCliCommand() + "exec --state-dir " + stateDir + " " + heldId
                + " -- python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4096)'";
        Process p = new ProcessBuilder("sh", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream out = p.getInputStream()) {
            got.write(out.read());
            Thread.sleep(500); // a slow reader: the pipe fills while the CLI relays
            out.transferTo(got);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        byte[] expected = new byte[256 * 4096];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
        }
        assertThat(got.size()).as("bytes relayed").isEqualTo(expected.length);
        assertThat(got.toByteArray()).isEqualTo(expected);
        assertThat(p.exitValue()).isZero();
    }

    @Test
    @Order(4)
    void execIsHardenedAsSandboxExec() throws Exception {
        // keyctl: refused with EPERM by the default seccomp filter (Docker's profile), which the host allows.
        String script = "import ctypes, os, platform\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "r = libc.syscall({'x86_64': 250, 'aarch64': 219}[platform.machine()], 0, -3, 0)\n"
                + "print('denied' if r < 0 and ctypes.get_errno() == 1 else 'allowed')\n";
        Cli inside = cli("exec", "--state-dir", stateDir.toString(), heldId, "python3", "-c", script);
        assertThat(inside.exitCode()).as(inside.stderr()).isZero();
        assertThat(inside.stdout()).isEqualTo("denied\n");
        assertThat(runProcess(List.of("python3", "-c", script)).stdout()).as("the same call on the host").isEqualTo("allowed\n");
        // Capabilities, no_new_privs and the uid as the spec says: root inside with Docker's set, and no more.
        Cli status = cli("exec", "--state-dir", stateDir.toString(), heldId, "sh", "-c",
                "grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' /proc/self/status");
        assertThat(status.stdout()).contains("CapEff:\t00000000a80425fb", "NoNewPrivs:\t1", "Seccomp:\t2")
                .containsPattern("Uid:\\t0\\t0\\t0\\t0");
    }

    @Test
    @Order(5)
    void execOfAMissingCommandGives127AndTheReason() throws Exception {
        Cli r = cli("exec", "--state-dir", stateDir.toString(), heldId, "no-such-command");
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderr()).contains("no-such-command", "ENOENT");
    }

    @Test
    @Order(6)
    void anUnknownOrAmbiguousIdIsOneClearLine() {
        assertThat(run("exec", "--state-dir", stateDir.toString(), "zzzz", "true")).isEqualTo(125);
        assertThat(stderr()).startsWith("sandboxed exec: no sandbox 'zzzz' in " + stateDir);
        assertThat(run("kill", "--state-dir", stateDir.toString(), heldId, "NOPE")).isEqualTo(125);
        assertThat(stderr()).contains("invalid signal 'NOPE'");
    }

    @Test
    @Order(6)
    void aMalformedRequestIsAnsweredWithItsError() {
        try (ControlClient client = ControlClient.connect(holder.pid())) {
            assertThatThrownBy(() -> client.call(Map.of("op", "exec", "id", heldId, "command", "not-a-list"), 0, 1, 2))
                    .isInstanceOf(SandboxException.class).hasMessageContaining("java.util.List");
        }
        try (ControlClient client = ControlClient.connect(holder.pid())) {
            assertThatThrownBy(() -> client.call(Map.of("op", "reboot", "id", heldId)))
                    .hasMessage("unknown operation 'reboot'; expected list, inspect, exec, kill or rm");
        }
        assertThat(psLine(heldId)).contains(" running ");
    }

    @Test
    @Order(7)
    void rmRefusesASandboxInUseAndRemovesAKeptOne() throws Exception {
        assertThat(run("rm", "--state-dir", stateDir.toString(), heldId)).isEqualTo(125);
        assertThat(stderr()).contains("is in use by its JVM (not kept)");
        assertThat(run("rm", "--state-dir", stateDir.toString(), keptId)).as(stderr()).isZero();
        // The state entry goes right after the close, on the owner's removal thread.
        for (int i = 0; i < 100 && !psLine(keptId).isEmpty(); i++) {
            Thread.sleep(100);
        }
        assertThat(psLine(keptId)).isEmpty();
        assertThat(psLine(heldId)).contains(" running ");
    }

    @Test
    @Order(8)
    void anotherUserIsRefused() throws Exception {
        assumeTrue(OwnIds.uid() == 0, "runs a client as sbxci against root's sandbox: needs root");
        Path classpath = readableClasspath();
        try {
            String java = "setpriv --reuid=sbxci --regid=sbxci --clear-groups " + JAVA + " -cp '" + classpath + "/*:"
                    + classpath + "/classes' ";
            // The state directory is 0700 and root's: the other user's CLI refuses it and could not even list it.
            Cli ps = runProcess(List.of("sh", "-c", java + Main.class.getName() + " ps --state-dir " + stateDir));
            assertThat(ps.exitCode()).isEqualTo(125);
            assertThat(ps.stderr()).contains(stateDir + " belongs to uid 0, not to this user");
            // Straight to the JVM's socket, knowing its pid and the sandbox id: refused by the peer's uid.
            Cli raw = runProcess(List.of("sh", "-c", java + RawClient.class.getName() + " " + holder.pid() + " "
                    + OwnIds.uid() + " " + heldId));
            assertThat(raw.stdout()).as(raw.stderr())
                    .isEqualTo("{\"error\":\"refused: uid 1001 does not own the sandboxes of this JVM (uid 0)\"}\n");
        } finally {
            deleteTree(classpath);
        }
        assertThat(psLine(heldId)).contains(" running ");
    }

    @Test
    @Order(9)
    void aProcessInASandboxIsRefusedThoughItRunsAsTheOwner() {
        // A sandbox on the host's network reaches the abstract socket; its root is this user outside, so the uid
        // check alone would let it through to the other sandboxes.
        String script = "import socket, struct, sys\n"
                + "j = b'{\"op\":\"inspect\",\"id\":\"" + heldId + "\"}'\n"
                + "msg = struct.pack('=IIIII', 1, 4, 34, 60, len(j)) + j\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                + "s.connect('\\0" + "sandboxed-ops/" + OwnIds.uid() + "/" + holder.pid() + "')\n"
                + "try:\n    s.send(msg)\nexcept OSError:\n    pass\n"
                + "try:\n    reply = s.recv(65536)\nexcept ConnectionResetError:\n    reply = s.recv(65536)\n"
                + "print(reply[20:].decode())\n";
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.builder().network(NetworkMode.HOST).build())) {
            ExecResult r = sandbox.exec("python3", "-c", script);
            assertThat(r.stdout()).as(r.stderr()).startsWith("{\"error\":\"refused: process ")
                    .contains("is not in this JVM's user namespace");
        }
    }

    @Test
    @Order(10)
    void killSignalsEveryProcess() throws Exception {
        assertThat(run("kill", "--state-dir", stateDir.toString(), heldId, "TERM")).as(stderr()).isZero();
        assertThat(holderOut.readLine()).isEqualTo("main exited 143");
        // The sandbox ends with its main process, once its init's hang-up reached the owner.
        for (int i = 0; i < 100 && !psLine(heldId).contains(" ended "); i++) {
            Thread.sleep(100);
        }
        assertThat(psLine(heldId)).contains(" ended ");
    }

    /** This JVM's class path, copied where another user may read it (root's ~/.m2 is private). */
    private static Path readableClasspath() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "sbx-ops-cp");
        try {
            copyClasspath(dir);
        } catch (IOException | RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
        return dir;
    }

    private static void copyClasspath(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(":")) {
            Path source = Path.of(entry);
            if (Files.isDirectory(source)) {
                Path target = dir.resolve("classes");
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Path to = target.resolve(source.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(to);
                        } else if (!Files.exists(to)) {
                            Files.copy(f, to);
                        }
                    }
                }
            } else if (Files.isRegularFile(source)) {
                Files.copy(source, dir.resolve((n++) + "-" + source.getFileName()));
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
