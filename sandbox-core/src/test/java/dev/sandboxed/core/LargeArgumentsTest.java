package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * Argument lists and environments far above what one protocol message carries (256 KiB) reach the process, up to
 * execve's own limit; above it the start fails with E2BIG and its step, above the init's limit Java refuses them.
 */
@RequiresSandbox
class LargeArgumentsTest {
    /** The stack limit the execve limit derives from (a quarter of it: 2 MiB), set so the test does not depend on the host's. */
    private static final long STACK = 8L << 20;
    private static final SandboxSpec SPEC = SandboxSpec.builder().rlimit(Rlimit.STACK, STACK, STACK).build();
    /** Prints the argument count, then the length and SHA-256 of the last argument. */
    private static final String COUNT_AND_DIGEST_LAST = "echo $#; eval last=\\${$#}; echo ${#last}; printf %s \"$last\" | sha256sum";

    private static Sandbox sandbox;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.start(SPEC);
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    /** {@code count} distinct strings of {@code length} bytes each. */
    private static List<String> strings(int count, int length) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder b = new StringBuilder(length).append(i).append(':');
            while (b.length() < length) {
                b.append((char) ('a' + (b.length() * 7 + i) % 26));
            }
            values.add(b.toString());
        }
        return values;
    }

    private static ProcessSpec countingArguments(List<String> args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", COUNT_AND_DIGEST_LAST, "sh"));
        command.addAll(args);
        return ProcessSpec.builder(command).build();
    }

    private static String expectedCountAndDigest(List<String> values) {
        String last = values.get(values.size() - 1);
        return values.size() + "\n" + last.length() + "\n" + sha256(last) + "  -\n";
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void argumentsOfOneAndAHalfMegabytesReachTheProcess() {
        List<String> args = strings(100, 15_000);
        ExecResult r = sandbox.exec(countingArguments(args));
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo(expectedCountAndDigest(args));
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void environmentOfOneAndAHalfMegabytesReachesTheProcess() {
        List<String> values = strings(100, 15_000);
        ProcessSpec.Builder b = ProcessSpec.builder("sh", "-c",
                "env | grep -c '^BIG_'; echo ${#BIG_99}; printf %s \"$BIG_99\" | sha256sum");
        for (int i = 0; i < values.size(); i++) {
            b.env("BIG_" + i, values.get(i));
        }
        ExecResult r = sandbox.exec(b.build());
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo(expectedCountAndDigest(values));
    }

    @Test
    void largeArgumentsReachTheMainProcessOfAOneShotSandbox() {
        List<String> args = strings(100, 15_000);
        ExecResult r = Sandbox.run(SPEC, countingArguments(args));
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo(expectedCountAndDigest(args));
    }

    @Test
    void largeArgumentsReachASpawnedProcess() throws Exception {
        assertSpawnedProcessCountsTheArguments(Stdio.discard());
    }

    /** Stdin piped: the memfd comes after three stdio descriptors (a discarded stdin is the init's /dev/null). */
    @Test
    void largeArgumentsReachAProcessWithEveryStreamSent() throws Exception {
        assertSpawnedProcessCountsTheArguments(Stdio.pipe());
    }

    /** Spawns the counting process with {@code stdin} (a pipe is closed at once) and checks what it printed. */
    private static void assertSpawnedProcessCountsTheArguments(Stdio stdin) throws Exception {
        List<String> args = strings(100, 15_000);
        SandboxProcess p = sandbox.spawn(countingArguments(args).toBuilder().stdin(stdin).build());
        if (stdin instanceof Stdio.Pipe) {
            p.stdin().close();
        }
        String stdout = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor().exitCode()).isZero();
        assertThat(stdout).isEqualTo(expectedCountAndDigest(args));
    }

    /** Every stream discarded: the memfd is the message's only descriptor; the exit code says what arrived. */
    @Test
    void largeArgumentsReachAProcessWithEveryStreamDiscarded() throws Exception {
        List<String> args = strings(100, 15_000);
        List<String> command = new ArrayList<>(List.of("sh", "-c",
                "eval last=\\${$#}; test $# -eq 100 && test \"$last\" = \"$0\" && exit 3; exit 1"));
        command.add(args.get(99));
        command.addAll(args);
        SandboxProcess p = sandbox.spawn(ProcessSpec.builder(command).stdout(Stdio.discard()).stderr(Stdio.discard())
                .build());
        assertThat(p.waitFor().exitCode()).isEqualTo(3);
    }

    @Test
    void argumentsAboveTheKernelsLimitFailWithE2bigAndTheStep() {
        // 3 MB: below sandbox-init's limit (4 MiB), above execve's (a quarter of the 8 MiB stack limit).
        ProcessSpec tooBig = countingArguments(strings(30, 100_000));
        ExecResult r = sandbox.exec(tooBig);
        assertThat(r.exitCode()).isEqualTo(126);
        assertThat(r.exitReason()).isEqualTo(ExitReason.NOT_EXECUTABLE);
        assertThat(r.stderr()).isEqualTo("sandboxed: execute sh: Argument list too long (E2BIG)\n");

        ExecResult oneShot = Sandbox.run(SPEC, tooBig);
        assertThat(oneShot.exitCode()).isEqualTo(126);
        assertThat(oneShot.exitReason()).isEqualTo(ExitReason.NOT_EXECUTABLE);
        assertThat(oneShot.stderr()).contains("execute sh", "(E2BIG)");

        assertThatThrownBy(() -> sandbox.spawn(tooBig)).isInstanceOf(SandboxException.class)
                .hasMessage("execute sh: Argument list too long (E2BIG)");
        assertThat(sandbox.exec("true").exitCode()).as("the sandbox still runs processes").isZero();
    }

    @Test
    void argumentsAboveSandboxInitsLimitAreRefusedUpFront() {
        ProcessSpec tooBig = countingArguments(strings(50, 100_000));
        assertThatThrownBy(() -> sandbox.exec(tooBig)).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("command: ").hasMessageContaining("4194304").hasMessageNotContaining("\n");
        // Before a one-shot sandbox is made, so nothing is rolled back (that took 10 s before the init was ready).
        assertTimeout(Duration.ofSeconds(5), () -> assertThatThrownBy(() -> Sandbox.run(SPEC, tooBig))
                .isInstanceOf(SpecException.class).hasMessageContaining("4194304"));
        assertThat(sandbox.exec("true").exitCode()).as("the sandbox still runs processes").isZero();
    }
}
