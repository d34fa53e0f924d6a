package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.testing.RequiresSandbox;

/** `sandboxed run` and `doctor` as a user calls them: exit codes, messages and the stats file. */
@RequiresSandbox
class CliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void exitCodeIsTheCommandsOwn() {
        assertThat(run("run", "--", "sh", "-c", "exit 7")).isEqualTo(7);
        assertThat(run("run", "sh", "-c", "exit 0")).isZero();
    }

    @Test
    void egressGivesTheProcessARouteAndTheToolsResolver() {
        String check = "grep -q '^nameserver 10.0.2.3$' /etc/resolv.conf && grep -q '^tap0\t00000000' /proc/net/route";
        assertThat(run("run", "--network", "egress", "--", "sh", "-c", check)).as(stderr()).isZero();
        assertThat(run("run", "--net", "none", "--", "sh", "-c", check)).isEqualTo(1);
    }

    @Test
    void killedBySignalGives128PlusN() {
        assertThat(run("run", "--", "sh", "-c", "kill -TERM $$")).isEqualTo(143);
    }

    @Test
    void aSignalToTheCliReachesTheCommand() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process cli = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--", "sh", "-c", "trap 'exit 7' TERM; echo ready; while :; do sleep 0.1; done")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
            assertThat(lines.readLine()).isEqualTo("ready");
            cli.toHandle().destroy(); // SIGTERM to the CLI's JVM
            assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(cli.exitValue()).as("the command's own exit after its TERM trap ran").isEqualTo(7);
        } finally {
            cli.destroyForcibly();
        }
    }

    @Test
    void notFoundAndNotExecutable() {
        assertThat(run("run", "--", "no-such-program")).isEqualTo(127);
        assertThat(stderr()).contains("sandboxed: execute no-such-program: No such file or directory (ENOENT)");
        assertThat(run("run", "--", "/etc/passwd")).isEqualTo(126);
        assertThat(stderr()).contains("Permission denied (EACCES)");
    }

    @Test
    void aFailingHookFailsTheRunWithOneLineAndADeviceIsBound() {
        assertThat(run("run", "--hook", "createRuntime:/bin/false", "--", "true")).isEqualTo(125);
        assertThat(stderr().strip()).isEqualTo("sandboxed: createRuntime hook /bin/false: exit status 1; no output");
        assertThat(run("run", "--device", "/dev/null:/dev/mine:c:1:3", "--hook", "startContainer:/bin/true", "--",
                "sh", "-c", "test -c /dev/mine")).isZero();
    }

    /** Bad input: its exit code, and exactly one line on stderr with these key words. */
    static Stream<Arguments> badInputs() {
        String longHostname = "h".repeat(65);
        return Stream.of(
                bad(125, List.of("timeout: '9999999999999999h'", "maximum of 8760h"),
                        "run", "--timeout", "9999999999999999h", "--", "true"),
                bad(125, List.of("timeout: '3000000h'", "maximum of 8760h"), "run", "--timeout", "3000000h", "--", "true"),
                bad(125, List.of("timeout: '99999999999999999999m'", "not a duration"),
                        "run", "--timeout", "99999999999999999999m", "--", "true"),
                bad(125, List.of("timeout: '0s'", "positive"), "run", "--timeout", "0s", "--", "true"),
                bad(125, List.of("hostname: '" + longHostname + "'", "1-64 bytes"), "run", "--hostname", longHostname, "--", "true"),
                bad(125, List.of("hostname: 'a_b'", "letters, digits, '.' or '-'"), "run", "--hostname", "a_b", "--", "true"),
                bad(125, List.of("unknown option --bogus", "see `sandboxed run --help`"), "run", "--bogus", "--", "true"),
                bad(125, List.of("--memory needs a value", "see `sandboxed run --help`"), "run", "--memory"),
                bad(125, List.of("no command given", "see `sandboxed run --help`"), "run"),
                bad(125, List.of("no command given", "see `sandboxed run --help`"), "run", "--read-only", "--"),
                bad(125, List.of("unknown command 'runn'", "see `sandboxed --help`"), "runn", "true"),
                bad(125, List.of("no command given", "see `sandboxed --help`")),
                bad(125, List.of("stats: cannot write '/nonexistent/dir/s.json'", "/nonexistent/dir does not exist (ENOENT)"),
                        "run", "--stats", "/nonexistent/dir/s.json", "--", "true"),
                bad(125, List.of("stats: cannot write '/tmp'", "directory (EISDIR)"), "run", "--stats", "/tmp", "--", "true"),
                bad(125, List.of("stats: cannot write '/etc/passwd/s.json'", "/etc/passwd is not a directory (ENOTDIR)"),
                        "run", "--stats", "/etc/passwd/s.json", "--", "true"),
                bad(125, List.of("device-read-bps: no such device: /nonexistent does not exist (ENOENT)"),
                        "run", "--device-read-bps", "/nonexistent:1m", "--", "true"),
                bad(125, List.of("device-write-iops: /etc/passwd is not a block device"),
                        "run", "--device-write-iops", "/etc/passwd:10", "--", "true"),
                bad(125, List.of("pids: '1' is too few: at least 2", "the sandbox's init and the command"),
                        "run", "--pids", "1", "--", "true"),
                bad(125, List.of("pids: 'many' is not a whole number"), "run", "--pids", "many", "--", "true"),
                bad(126, List.of("chdir /no/such/dir", "No such file or directory (ENOENT)"),
                        "run", "--workdir", "/no/such/dir", "--", "true"),
                bad(127, List.of("execute no-such-program", "(ENOENT)"), "run", "--", "no-such-program"),
                bad(126, List.of("execute /etc/passwd", "(EACCES)"), "run", "--", "/etc/passwd"),
                bad(125, List.of("tmp-size: 'huge'", "not a size"), "run", "--tmp-size", "huge", "--", "true"),
                bad(125, List.of("shmSize: 0 is not a size"), "run", "--shm-size", "0", "--", "true"),
                bad(125, List.of("command: argument 1 is 204800 bytes", "at most 131071", "MAX_ARG_STRLEN"),
                        "run", "--", "echo", "x".repeat(200 * 1024)),
                bad(125, List.of("env: BIG=... is 204804 bytes", "MAX_ARG_STRLEN"),
                        "run", "--env", "BIG=" + "x".repeat(200 * 1024), "--", "true"));
    }

    private static Arguments bad(int exitCode, List<String> keyWords, String... args) {
        String name = "sandboxed " + String.join(" ", args);
        return Arguments.of(name.length() > 100 ? name.substring(0, 100) + "..." : name, List.of(args), exitCode, keyWords);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputGivesItsExitCodeAndOneLine(String name, List<String> args, int exitCode, List<String> keyWords) {
        int code = run(args.toArray(String[]::new));
        assertThat(stderr().lines()).as("stderr of %s", name).hasSize(1)
                .first().asString().startsWith("sandboxed: ").contains(keyWords);
        assertThat(code).as(stderr()).isEqualTo(exitCode);
    }

    @Test
    void badOptionsAreSandboxErrorsWithOneLineReasons() {
        assertThat(run("run", "--memory", "lots", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("sandboxed: invalid memory: 'lots' is not a size");
        assertThat(run("run", "--net", "bridge", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("allowed: none, host, egress");
        assertThat(run("run", "--egress-host-loopback", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("egressHostLoopback").contains("only applies to network egress");
        assertThat(run("run", "--bogus", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("unknown option --bogus");
        assertThat(run("run", "--bind", "/no/such:/x", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("mounts.bind.source: '/no/such' does not exist on the host");
        assertThat(run("run")).isEqualTo(125);
        assertThat(stderr()).contains("no command given");
        assertThat(run("run", "--device-read-bps", "sda", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("device-read-bps: 'sda' is not DEVICE:VALUE");
        assertThat(run("run", "--device-write-iops", "8:0:lots", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("'lots' is not a positive whole number of operations per second");
        assertThat(run("run", "--device-read-bps", "/etc/passwd:1m", "--", "true")).isEqualTo(125);
        assertThat(stderr()).contains("/etc/passwd is not a block device");
    }

    @Test
    void publishedPortIsPrintedAndReachable() throws Exception {
        String server = "import socket\n"
                + "s = socket.socket(); s.bind(('127.0.0.1', 8080)); s.listen()\n"
                + "c, _ = s.accept(); c.sendall(b'from the sandbox\\n'); c.close()\n";
        var result = new java.util.concurrent.CompletableFuture<Integer>();
        Thread cli = new Thread(() -> result.complete(run("run", "--publish", "8080", "--", "python3", "-c", server)));
        cli.start();
        java.util.regex.Matcher published = null;
        for (int i = 0; i < 200 && published == null; i++) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("published 127\\.0\\.0\\.1:(\\d+) -> 8080/tcp")
                    .matcher(stderr());
            published = m.find() ? m : null;
            Thread.sleep(50);
        }
        assertThat(published).as(stderr()).isNotNull();
        String line = null;
        for (int i = 0; i < 100 && line == null; i++) { // the server binds a moment after the sandbox starts
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", Integer.parseInt(published.group(1)))) {
                line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (java.io.IOException notYet) {
                Thread.sleep(50);
            }
        }
        assertThat(line).isEqualTo("from the sandbox");
        assertThat(result.get(30, TimeUnit.SECONDS)).as(stderr()).isZero();
    }

    @Test
    void anExposedHostPortIsReachableInside() throws Exception {
        try (java.net.ServerSocket host = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (java.net.Socket c = host.accept()) {
                    c.getOutputStream().write("hello from the host\n".getBytes(StandardCharsets.UTF_8));
                } catch (java.io.IOException closed) {
                    // the test failed already
                }
            });
            t.setDaemon(true);
            t.start();
            String client = "import socket, sys\n"
                    + "c = socket.create_connection(('host.sandboxed.internal', int(sys.argv[1])), timeout=5)\n"
                    + "sys.exit(0 if c.makefile().readline() == 'hello from the host\\n' else 3)\n";
            int port = host.getLocalPort();
            assertThat(run("run", "--expose-host-port", "" + port, "--", "python3", "-c", client, "" + port))
                    .as(stderr()).isZero();
        }
    }

    @Test
    void cgroupParentThatLeavesTheDelegatedCgroupIsRefusedWithoutAFix() {
        assertThat(run("run", "--cgroup-parent", "..", "--memory", "64m", "--", "true")).isEqualTo(125);
        assertThat(run("doctor", "--cgroup-parent", "/")).isEqualTo(125);
        assertThat(stderr().lines()).containsExactly(
                "sandboxed: invalid sandboxed.cgroup.parent: '..' '..' is not allowed (it would leave the delegated"
                        + " cgroup); give a cgroup below the cgroup root, e.g. sandboxed-ci or"
                        + " /user.slice/user-1000.slice/user@1000.service/sandboxed.slice",
                "sandboxed: invalid sandboxed.cgroup.parent: '/' is the cgroup root; give a cgroup below the cgroup"
                        + " root, e.g. sandboxed-ci or /user.slice/user-1000.slice/user@1000.service/sandboxed.slice");
        assertThat(stderr()).doesNotContain("chown");
    }

    @Test
    void theRuntimesInfoLinesStayOutOfTheCommandsStderrUnlessVerbose() {
        System.Logger runtimeLog = System.getLogger("dev.sandboxed.core.SandboxRuntime");
        assertThat(run("run", "--", "true")).isZero();
        assertThat(runtimeLog.isLoggable(System.Logger.Level.INFO)).isFalse();
        assertThat(runtimeLog.isLoggable(System.Logger.Level.WARNING)).isTrue();
        assertThat(run("run", "--verbose", "--", "true")).isZero();
        assertThat(runtimeLog.isLoggable(System.Logger.Level.INFO)).isTrue();
    }

    @Test
    void helpPrintsTheUsage() {
        assertThat(run("run", "--help")).isZero();
        assertThat(run("run", "--memory", "64m", "--help", "--", "true")).isZero();
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--timeout DURATION").contains("usage: sandboxed run");
        assertThat(stderr()).isEmpty();
    }

    @Test
    void aHostnameOfTheKernelsMaximumLength() {
        String longest = "h".repeat(64); // __NEW_UTS_LEN
        assertThat(run("run", "--hostname", longest, "--", "sh", "-c", "test \"$(hostname)\" = " + longest))
                .as(stderr()).isZero();
    }

    @Test
    void theSmallestPidsLimitRunsACommand() {
        assertThat(run("run", "--pids", "2", "--", "sh", "-c", "echo ok")).as(stderr()).isZero();
    }

    @Test
    void fillingTmpGivesNoSpaceLeft() {
        // head fails with ENOSPC (exit 1) once 1 MiB is written; the OOM killer or no limit would not stop it there.
        assertThat(run("run", "--tmp-size", "1m", "--", "sh", "-c",
                "head -c 2000000 /dev/zero > /tmp/f; test $? -eq 1 && test $(wc -c < /tmp/f) -le 1048576")).isZero();
    }

    @Test
    void timeoutKillsTheCommand() {
        assertThat(run("run", "--timeout", "300ms", "--", "sleep", "30")).isEqualTo(137);
        assertThat(stderr()).contains("ran longer than 300 ms; killed");
    }

    @Test
    void optionsReachTheSandbox(@TempDir Path dir) throws Exception {
        Path stats = dir.resolve("stats.json");
        int code = run("run", "--hostname", "clihost", "--env", "GREETING=hi", "--bind", dir + ":/out:rw",
                "--workdir", "/out", "--tmpfs", "/scratch:size=1m", "--stats", stats.toString(), "--",
                "sh", "-c", "test \"$(hostname)\" = clihost && test \"$GREETING\" = hi && test \"$(pwd)\" = /out "
                        + "&& touch /scratch/ok && echo done > result");
        assertThat(code).as(stderr()).isZero();
        assertThat(dir.resolve("result")).hasContent("done");
        @SuppressWarnings("unchecked")
        Map<String, Object> json = new ObjectMapper().readValue(stats.toFile(), Map.class);
        assertThat(json).containsEntry("exitCode", 0).containsEntry("exitReason", "EXITED").containsKey("usage")
                .containsKey("seccompDenials");
    }

    @Test
    void statsReportSeccompDenials(@TempDir Path dir) throws Exception {
        Path stats = dir.resolve("stats.json");
        run("run", "--stats", stats.toString(), "--", "unshare", "-U", "true");
        @SuppressWarnings("unchecked")
        Map<String, Object> json = new ObjectMapper().readValue(stats.toFile(), Map.class);
        assertThat(json.get("seccompDenials")).asString().contains("unshare");
    }

    @Test
    void doctorTakesTheCgroupParentFromTheSystemPropertyAsRunDoes() {
        String before = System.getProperty("sandboxed.cgroup.parent");
        System.setProperty("sandboxed.cgroup.parent", "/");
        try {
            assertThat(run("doctor")).isEqualTo(125);
            assertThat(out.toString(StandardCharsets.UTF_8)).as("refused before any check").isEmpty();
        } finally {
            if (before == null) {
                System.clearProperty("sandboxed.cgroup.parent");
            } else {
                System.setProperty("sandboxed.cgroup.parent", before);
            }
        }
        assertThat(run("doctor", "--cgroup-parent=/")).as("the option's = form, as run takes it").isEqualTo(125);
        assertThat(stderr().lines()).hasSize(2).allSatisfy(line -> assertThat(line)
                .startsWith("sandboxed: invalid sandboxed.cgroup.parent: '/' is the cgroup root"));
    }

    @Test
    void doctorOptionsGoOverTheSystemProperties() {
        RuntimeConfig base = RuntimeConfig.fromSystemProperties().withCgroupParent("from-property");
        assertThat(DoctorCommand.config(List.of(), base).cgroupParent()).contains("from-property");
        assertThat(DoctorCommand.config(List.of("--cgroup-parent", "a"), base).cgroupParent()).contains("a");
        assertThat(DoctorCommand.config(List.of("--cgroup-parent=b"), base).cgroupParent()).contains("b");
    }

    @Test
    void doctorRefusesArgumentsItDoesNotTake() {
        assertThat(run("doctor", "--cgroup-parent")).isEqualTo(125);
        assertThat(run("doctor", "--cgroup-parent=")).isEqualTo(125);
        assertThat(run("doctor", "--verbose")).isEqualTo(125);
        assertThat(stderr().lines()).containsExactly(
                "sandboxed doctor: --cgroup-parent needs a value: a cgroup path such as sandboxed-ci;"
                        + " see `sandboxed doctor --help`",
                "sandboxed doctor: --cgroup-parent needs a value: a cgroup path such as sandboxed-ci;"
                        + " see `sandboxed doctor --help`",
                "sandboxed doctor: unknown argument '--verbose'; doctor takes only --cgroup-parent PATH;"
                        + " see `sandboxed doctor --help`");
        assertThat(out.toString(StandardCharsets.UTF_8)).as("nothing was checked").isEmpty();
    }

    @Test
    void doctorPassesOnAHostThatRunsSandboxes() {
        assertThat(run("doctor")).as(out.toString(StandardCharsets.UTF_8)).isZero();
        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(report).contains("user namespaces").contains("sandbox start").contains("sandboxes can run on this host");
        // CI installs both tools: the line names them and the one egress uses.
        assertThat(report).contains("network egress").contains("pasta /usr/bin/pasta").contains("egress uses pasta");
    }
}
