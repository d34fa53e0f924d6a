package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * A killed sandbox-init server is reaped and replaced by the next start. The sandboxes it started die with it (their
 * inits have it as parent, with a parent-death signal): their processes end with SANDBOX_ENDED.
 */
@RequiresSandbox
class ServerDeathTest {

    @Test
    void aKilledServerIsReapedAndReplacedAndItsSandboxesEnd() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withCgroupPool(0))) {
                Sandbox running = runtime.start(SandboxSpec.defaults());
                SandboxProcess sleeper = running.spawn(ProcessSpec.of("sleep", "60"));
                int server = parentOf(running.pid());
                Native.kill(server, Native.SIGKILL);

                ExitStatus ended = sleeper.waitFor();
                assertThat(ended.reason()).isEqualTo(ExitReason.SANDBOX_ENDED);
                running.waitFor(Duration.ofSeconds(10)); // no main process: only the state tells that it ended
                assertThat(running.state()).isEqualTo(Sandbox.State.ENDED);
                // Its end says why, and the dead server is reaped then, not at the next start.
                assertThatThrownBy(() -> running.exec("true")).hasMessageContaining("sandbox-init server died (signal 9)");
                assertThat(Files.exists(Path.of("/proc/" + server))).as("the dead server was reaped").isFalse();

                try (Sandbox next = runtime.start(SandboxSpec.defaults())) {
                    assertThat(next.exec("echo", "ok").stdout()).isEqualTo("ok\n");
                    assertThat(parentOf(next.pid())).as("a new server").isNotEqualTo(server);
                }
                assertThat(Files.exists(Path.of("/proc/" + server))).as("the dead server was reaped").isFalse();
                running.close();
            }
        });
    }

    @Test
    void aRequestTheServerCannotTakeLeavesItAndItsSandboxesRunning() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withCgroupPool(0));
                    Sandbox running = runtime.start(SandboxSpec.defaults())) {
                int server = parentOf(running.pid());
                // A set-up description larger than one message: the send is refused (EMSGSIZE), nothing more.
                SandboxSpec.Builder huge = SandboxSpec.builder();
                for (int i = 0; i < 2500; i++) {
                    huge.tmpfs("/mnt/" + "m".repeat(100) + i, 0);
                }
                assertThatThrownBy(() -> runtime.start(huge.build())).isInstanceOf(SandboxException.class);
                assertThat(running.exec("echo", "still here").stdout()).isEqualTo("still here\n");
                try (Sandbox next = runtime.start(SandboxSpec.defaults())) {
                    assertThat(parentOf(next.pid())).as("the same server").isEqualTo(server);
                }
            }
        });
    }

    /** Field 4 of /proc/PID/stat. */
    private static int parentOf(int pid) throws IOException {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("process " + pid + " is gone", e);
        }
    }
}
