package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * What a caller chains on {@link SandboxProcess#onExit()} runs off the thread that receives the sandbox's messages, as
 * the JDK's {@code Process.onExit()} does: a callback may use the same sandbox, or close it, without waiting for
 * itself.
 */
@RequiresSandbox
class ExitCallbackTest {

    @Test
    void aCallbackMayExecInTheSameSandbox() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
                SandboxProcess first = sandbox.spawn(ProcessSpec.of("true"));
                CompletableFuture<ExecResult> next = first.onExit().thenApply(status -> sandbox.exec("echo", "after"));
                assertThat(next.join().stdout()).isEqualTo("after\n");
            }
        });
    }

    @Test
    void aCallbackMayCloseTheSandbox() {
        // Before the fix, close() waited on the receiving thread for its own hang-up: 10 s, then a kill by pid.
        assertTimeoutPreemptively(Duration.ofSeconds(8), () -> {
            Sandbox sandbox = Sandbox.start(SandboxSpec.defaults());
            try {
                SandboxProcess sleeper = sandbox.spawn(ProcessSpec.of("sleep", "60"));
                SandboxProcess first = sandbox.spawn(ProcessSpec.of("true"));
                first.onExit().thenRun(sandbox::close).join();
                assertThat(sandbox.state()).isEqualTo(Sandbox.State.CLOSED);
                assertThat(sleeper.isAlive()).isFalse();
            } finally {
                sandbox.close();
            }
        });
    }

    @Test
    void anEndedProcessesFutureIsDoneAndNoCallerCanCompleteItForTheProcess() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            SandboxProcess sleeper = sandbox.spawn(ProcessSpec.of("sleep", "60"));
            sleeper.onExit().complete(new ExitStatus(0, OptionalInt.empty(), ExitReason.EXITED));
            assertThat(sleeper.isAlive()).as("a caller's future is its own").isTrue();
            sleeper.kill();
            assertThat(sleeper.waitFor().signal()).hasValue(9);

            SandboxProcess p = sandbox.spawn(ProcessSpec.of("sh", "-c", "exit 3"));
            ExitStatus status = p.waitFor();
            assertThat(p.onExit()).as("already ended: done at once").isCompletedWithValue(status);
        }
    }
}
