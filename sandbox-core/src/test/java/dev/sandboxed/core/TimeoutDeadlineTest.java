package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * A timeout is a deadline for the whole call, output collection included: a background child holding the pipe or
 * endless output does not keep the call waiting. Each call is bounded far below what the commands would take.
 */
@RequiresSandbox
class TimeoutDeadlineTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration BOUND = Duration.ofSeconds(20);
    @Test
    void execStopsAtTheDeadlineThoughABackgroundChildHoldsThePipe() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            ExecResult r = assertTimeoutPreemptively(BOUND,
                    () -> sandbox.exec(timed("sh", "-c", "sleep 300 & echo started")));
            assertThat(r.exitReason()).isEqualTo(ExitReason.TIMED_OUT);
            assertThat(r.stdout()).isEqualTo("started\n");
            ExecResult left = sandbox.exec("sh", "-c", "cat /proc/[0-9]*/comm");
            assertThat(left.stdout()).as("the background child was killed with its group").doesNotContain("sleep");
        }
    }

    @Test
    void execOfEndlessOutputStopsAtTheDeadline() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            ExecResult r = assertTimeoutPreemptively(BOUND, () -> sandbox.exec(timed("yes")));
            assertThat(r.exitReason()).isEqualTo(ExitReason.TIMED_OUT);
            assertThat(r.stdout()).startsWith("y\ny\n");
        }
    }

    @Test
    void oneShotRunOfEndlessOutputStopsAtTheDeadline() {
        ExecResult r = assertTimeoutPreemptively(BOUND, () -> Sandbox.run(SandboxSpec.defaults(), timed("yes")));
        assertThat(r.exitReason()).isEqualTo(ExitReason.TIMED_OUT);
        assertThat(r.stdout()).startsWith("y\ny\n");
    }

    @Test
    void oneShotRunStopsAtTheDeadlineThoughABackgroundChildHoldsThePipe() {
        ExecResult r = assertTimeoutPreemptively(BOUND, () -> Sandbox.run(SandboxSpec.defaults(),
                timed("sh", "-c", "sleep 300 & echo started; wait")));
        assertThat(r.exitReason()).isEqualTo(ExitReason.TIMED_OUT);
        assertThat(r.stdout()).isEqualTo("started\n");
    }

    private static ProcessSpec timed(String... command) {
        return ProcessSpec.builder(command).timeout(TIMEOUT).build();
    }
}
