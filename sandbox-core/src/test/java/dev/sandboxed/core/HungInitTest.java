package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** A close gives a hung init 5 s to answer, then has its server kill it: nothing of the sandbox outlives close(). */
@RequiresSandbox
class HungInitTest {

    @Test
    void aStoppedInitIsKilledAndCloseReturns() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Sandbox sandbox = Sandbox.start(SandboxSpec.defaults());
            SandboxProcess sleeper = sandbox.spawn(ProcessSpec.of("sleep", "60"));
            int init = sandbox.pid();
            Native.kill(init, 19); // SIGSTOP: it can no longer answer the shutdown
            sandbox.close();
            assertThat(running(init)).as("the init killed").isFalse();
            assertThat(sleeper.isAlive()).isFalse();
        });
    }

    /** Present and not a zombie: close() returns once the init exited; its server reaps it a moment later. */
    private static boolean running(int pid) throws java.io.IOException {
        try {
            return !Files.readString(Path.of("/proc/" + pid + "/stat")).contains(") Z ");
        } catch (java.nio.file.NoSuchFileException reaped) {
            return false;
        }
    }
}
