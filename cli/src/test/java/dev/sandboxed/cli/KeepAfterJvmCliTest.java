package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.testing.LeftBehind;
import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/** A container kept after its JVM (sandboxed.keep.afterJvm) operated with `sandboxed ps/exec/kill/rm`. */
@RequiresSandbox
class KeepAfterJvmCliTest {

    @Test
    void keptContainerIsOperatedAfterItsJvmExited(@TempDir Path stateDir, @TempDir Path files) throws Exception {
        Process owner = OwnerJvm.start(stateDir, KeepAfterJvmHolder.class);
        try {
            SandboxState state = keptBy(owner, stateDir);
            String id = state.id();

            assertThat(ps(stateDir)).anySatisfy(line -> assertThat(line).startsWith(id)
                    .contains(" " + state.ownerPid() + " ").contains(" kept "));
            Cli exec = cli(stateDir, "exec", id.substring(0, 6), "--", "sh", "-c",
                    "cat /tmp/evidence; hostname; cat /proc/[0-9]*/comm 2>/dev/null | grep -c sleep; exit 4");
            assertThat(exec.exit).as(exec.output).isEqualTo(4);
            assertThat(exec.output).isEqualTo("evidence\nkept\n1\n");
            // Its stdin a file: the process gets a pipe the CLI relays, never the caller's own file.
            Path in = Files.writeString(files.resolve("in"), "relayed\n");
            Cli stdio = cli(stateDir, in, "exec", id, "--", "sh", "-c", "stat -L -c %F /proc/self/fd/0; cat");
            assertThat(stdio.output).isEqualTo("fifo\nrelayed\n");
            Cli missing = cli(stateDir, "exec", id, "--", "/no/such/program");
            assertThat(missing.exit).isEqualTo(127);

            assertThat(cli(stateDir, "kill", id, "KILL").exit).isZero();
            assertThat(Probes.eventually(10, () -> cli(stateDir, "exec", id, "--", "sh", "-c",
                    "cat /proc/[0-9]*/comm 2>/dev/null | grep -c sleep").output.equals("0\n")))
                    .as("kill reached the container's processes").isTrue();

            Cli rm = cli(stateDir, "rm", id);
            assertThat(rm.exit).as(rm.output).isZero();
            assertThat(stateDir.resolve(id)).doesNotExist();
            assertThat(state.cgroups()).allSatisfy(c -> assertThat(Path.of(c)).doesNotExist());
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(state.initPid())
                    && !Probes.processAlive(state.ownerPid()))).as("init and keeper gone").isTrue();
            assertThat(ps(stateDir)).noneMatch(line -> line.startsWith(id));
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    @Test
    void keptSandboxShowsWhatItsJvmShowedAndRunsPoststopHooksOnRm(@TempDir Path stateDir, @TempDir Path hooks)
            throws Exception {
        Path records = hooks.resolve("records.sh");
        Files.writeString(records, "#!/bin/sh\ncat > " + hooks.resolve("poststop.json") + "\n");
        Path fails = hooks.resolve("fails.sh");
        Files.writeString(fails, "#!/bin/sh\necho broken\nexit 3\n");
        for (Path script : List.of(records, fails)) {
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        }
        Process owner = OwnerJvm.start(stateDir, KeepWithMainOwner.class, records.toString(), fails.toString());
        try {
            SandboxState state = keptBy(owner, stateDir);
            String id = state.id();

            // As its JVM showed it: the main command, the limits, memory and CPU now (from its own cgroups).
            assertThat(ps(stateDir)).anySatisfy(line -> assertThat(line).startsWith(id).contains(" kept ")
                    .contains(" sleep 300 ").contains(" mem=64MiB ").matches(".* mem=64MiB +\\d+(KiB|MiB) .*"));
            Cli inspect = cli(stateDir, "inspect", id);
            assertThat(inspect.exit).as(inspect.output).isZero();
            JsonNode sandbox = new ObjectMapper().readTree(inspect.output).get("sandbox");
            assertThat(sandbox.get("command").toString()).isEqualTo("[\"sleep\",\"300\"]");
            assertThat(sandbox.get("limits").get("memoryMaxBytes").asLong()).isEqualTo(64L << 20);
            assertThat(sandbox.get("usage").get("memoryCurrentBytes").asLong()).isPositive();
            assertThat(sandbox.get("usage").get("pidsCurrent").asLong()).isGreaterThanOrEqualTo(2); // init and sleep

            // rm runs the poststop hooks once the init is gone; the failing one is reported on its stderr.
            Cli rm = cli(stateDir, "rm", id);
            assertThat(rm.exit).as(rm.output).isZero();
            assertThat(rm.output).contains(id + ": poststop hook " + fails + ": exit status 3; output: broken");
            JsonNode stopped = new ObjectMapper().readTree(hooks.resolve("poststop.json").toFile());
            assertThat(stopped.get("id").asText()).isEqualTo(id);
            assertThat(stopped.get("status").asText()).isEqualTo("stopped");
            assertThat(stopped.has("pid")).as("OCI: no pid once stopped").isFalse();
            assertThat(stateDir.resolve(id)).doesNotExist();
            assertThat(state.cgroups()).allSatisfy(c -> assertThat(Path.of(c)).doesNotExist());
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(state.initPid())
                    && !Probes.processAlive(state.ownerPid()))).as("init and keeper gone").isTrue();
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    /** The entry of the sandbox the child JVM kept ("KEPT ID") before it exited normally. */
    private static SandboxState keptBy(Process owner, Path stateDir) throws InterruptedException, IOException {
        String output = new String(owner.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(owner.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(owner.exitValue()).as(output).isZero();
        String id = output.lines().filter(l -> l.startsWith("KEPT ")).map(l -> l.substring(5)).findFirst()
                .orElseThrow(() -> new AssertionError("child JVM output: " + output));
        SandboxState state = LeftBehind.in(stateDir).states().stream().filter(s -> s.id().equals(id)).findFirst()
                .orElseThrow();
        assertThat(state.keptAfterJvm()).isTrue();
        return state;
    }

    private record Cli(int exit, String output) {
    }

    /** The CLI in a process of its own, as from a terminal: exec hands its own stdin, stdout and stderr over. */
    private static Cli cli(Path stateDir, String... args) {
        return cli(stateDir, null, args);
    }

    /** {@link #cli(Path, String...)} with its stdin read from {@code stdin} (null: an empty pipe). */
    private static Cli cli(Path stateDir, Path stdin, String... args) {
        List<String> argv = new ArrayList<>(OwnerJvm.java());
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), args[0], "--state-dir",
                stateDir.toString()));
        argv.addAll(List.of(args).subList(1, args.length));
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
            if (stdin != null) {
                builder.redirectInput(stdin.toFile());
            }
            Process p = builder.start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new Cli(p.exitValue(), output);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static List<String> ps(Path stateDir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Main.run(List.of("ps", "--state-dir", stateDir.toString()), new PrintStream(out, true,
                StandardCharsets.UTF_8), System.err)).isZero();
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
