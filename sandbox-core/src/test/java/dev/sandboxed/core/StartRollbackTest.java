package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * A start that fails after its init exists but before anyone receives from it rolls back at once: the rollback's
 * close sees the init's hang-up instead of waiting for a reader that was never started.
 */
@RequiresSandbox
class StartRollbackTest {

    @Test
    void anInitKilledWhileItsStartWaitsForTheHooksRollsBackAtOnce() {
        // The createRuntime hook kills the paused init (the state's pid): the go-ahead after the hooks cannot be sent.
        Hook killer = Hook.of(Hook.Stage.CREATE_RUNTIME, "/bin/sh", "-c",
                "pid=$(sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p'); kill -9 $pid;"
                        + " while kill -0 $pid 2>/dev/null; do sleep 0.01; done").withEnv("PATH=/usr/bin:/bin");
        SandboxSpec spec = SandboxSpec.builder().hook(killer).build();
        // Before the fix the close waited 5 s for its own hang-up, killed the init's (reaped) pid, and waited 5 s more.
        assertTimeoutPreemptively(Duration.ofSeconds(8), () -> {
            try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withCgroupPool(0))) {
                assertThatThrownBy(() -> runtime.start(spec)).isInstanceOf(SandboxException.class);
                runtime.awaitIdle();
            }
        });
    }
}
