package dev.sandboxed.core.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Runs the native escape probe ({@code native-init/src/test/c/probe.c}) inside sandboxes and on the host.
 * The probe exits 0 when the sandbox held, 1 when the escape worked, 2 on anything unexpected and 3 when
 * the host lacks what the probe needs (then the test is skipped with the probe's reason).
 */
final class Probe {
    static final String IN_SANDBOX = "/probe";
    static final int SECURE = 0;
    static final int ESCAPED = 1;
    static final int UNEXPECTED = 2;
    static final int UNSUPPORTED = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Probe() {
    }

    /** The probe binary built by native-init's test Makefile; a clear failure when the build did not make it. */
    static Path binary() {
        String dir = System.getProperty("sandboxed.probes.dir");
        if (dir == null || dir.isBlank()) {
            fail("system property sandboxed.probes.dir is not set: run these tests through Maven (sandbox-core's "
                    + "surefire configuration passes native-init/target/probes), or pass -Dsandboxed.probes.dir=<dir>");
        }
        Path probe = Path.of(dir).toAbsolutePath().normalize().resolve("probe");
        if (!Files.isExecutable(probe)) {
            fail("escape probe " + probe + " is missing or not executable: build native-init first "
                    + "(mvn -pl native-init install, which runs `make -C native-init/src/test/c`)");
        }
        return probe;
    }

    /** Sandboxes need user namespaces (as root too: every sandbox gets one by default). */
    static void assumeSandboxesCanRun() {
        Assumptions.assumeTrue(HostFacts.current().userNamespacesUsable(),
                "this host has no usable user namespaces, so no sandbox can start");
    }

    static boolean isRoot() {
        return HostFacts.current().isRoot();
    }

    /** A spec with the probe bound read-only at /probe; everything else at its (secure) default. */
    static SandboxSpec.Builder spec() {
        return SandboxSpec.builder().bindReadOnly(binary().toString(), IN_SANDBOX);
    }

    /** The outcome of one probe run. */
    record Result(String where, List<String> command, int exitCode, String stdout, String stderr) {
        String verdictLine() {
            return stdout.lines().filter(l -> l.startsWith("PROBE ")).findFirst().orElse("(no PROBE line)");
        }

        /** Skips the test when the probe says the host lacks what it needs. */
        Result skipIfUnsupported() {
            Assumptions.assumeFalse(exitCode == UNSUPPORTED, () -> "host lacks what the probe needs: " + verdictLine());
            return this;
        }

        Result assertSecure() {
            skipIfUnsupported();
            assertThat(exitCode).as("probe %s %s must hold (exit 0):\n%s", command, where, this).isEqualTo(SECURE);
            assertThat(verdictLine()).contains("SECURE");
            return this;
        }

        Result assertEscaped() {
            skipIfUnsupported();
            assertThat(exitCode).as("probe %s %s must report the escape (exit 1) with the protection off:\n%s",
                    command, where, this).isEqualTo(ESCAPED);
            assertThat(verdictLine()).contains("ESCAPED");
            return this;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout: " + stdout.strip() + "\nstderr: " + stderr.strip();
        }
    }

    /** Runs {@code /probe args...} in the sandbox. */
    static Result run(Sandbox sandbox, String... args) {
        List<String> command = new ArrayList<>();
        command.add(IN_SANDBOX);
        command.addAll(List.of(args));
        return exec(sandbox, command);
    }

    /** Runs a shell command line in the sandbox (the host view has /bin/sh). */
    static Result shell(Sandbox sandbox, String script) {
        return exec(sandbox, List.of("/bin/sh", "-c", script));
    }

    private static Result exec(Sandbox sandbox, List<String> command) {
        ExecResult r = sandbox.exec(ProcessSpec.builder(command).timeout(TIMEOUT).build());
        return new Result("in " + sandbox, command, r.exitCode(), r.stdout(), r.stderr());
    }

    /** Runs the probe directly on the host, outside any sandbox (the control where no spec switch exists). */
    static Result runOnHost(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(args));
        return runHostCommand(command);
    }

    static Result runHostCommand(List<String> command) {
        try {
            Path out = Files.createTempFile("probe", ".out");
            Path err = Files.createTempFile("probe", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("probe " + command + " on the host did not finish within " + TIMEOUT);
                }
                return new Result("on the host", command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
