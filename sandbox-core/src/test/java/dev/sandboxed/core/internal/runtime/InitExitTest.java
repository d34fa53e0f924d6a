package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.os.Native;

/** The init's pidfd may be closed by a hand-over and by a close: only the first closes the descriptor. */
class InitExitTest {

    @Test
    void aSecondCloseLeavesTheNumberTheKernelGaveToSomethingElse() throws Exception {
        int pidfd = Native.pidfdOpen((int) ProcessHandle.current().pid());
        InitExit exit = new InitExit((int) ProcessHandle.current().pid(), pidfd);
        exit.close();
        int reused = Native.pidfdOpen((int) ProcessHandle.current().pid()); // the lowest free number: pidfd's
        try {
            assertThat(reused).as("the kernel reused the number").isEqualTo(pidfd);
            exit.close();
            assertThat(Files.exists(Path.of("/proc/self/fd/" + reused))).as("still open after the second close").isTrue();
            assertThat(exit.await(Duration.ZERO)).as("closed, it watches through /proc: this JVM runs").isFalse();
        } finally {
            Native.close(reused);
        }
    }
}
