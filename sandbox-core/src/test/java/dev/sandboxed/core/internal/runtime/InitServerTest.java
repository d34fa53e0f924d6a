package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.SandboxException;

/**
 * The server's pid is signalled only while it is unreaped: once any thread has reaped it, the pid may already name an
 * unrelated process, so a request that then finds the connection broken must not kill it.
 */
class InitServerTest {

    @Test
    void aRequestAfterAnotherThreadReapedTheServerSignalsNothing() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            List<Integer> killed = new CopyOnWriteArrayList<>();
            InitServer server = InitServer.start(killed::add);
            try {
                Native.kill(server.pid(), Native.SIGKILL);
                while (!server.hasDied()) { // what SandboxRuntime's next start does from its own thread
                    Thread.sleep(5);
                }
                assertThat(Files.exists(Path.of("/proc/" + server.pid()))).as("reaped").isFalse();

                assertThatThrownBy(() -> server.park(List.of())).isInstanceOf(InitServer.DiedException.class)
                        .hasMessageContaining("sandbox-init server died (signal 9)");
                assertThat(killed).as("SIGKILLs sent to a pid that was reaped").isEmpty();
            } finally {
                server.close();
            }
        });
    }

    @Test
    void aBrokenConnectionToAnUnreapedServerKillsIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            List<Integer> killed = new CopyOnWriteArrayList<>();
            InitServer server = InitServer.start(pid -> {
                killed.add(pid);
                Native.kill(pid, Native.SIGKILL);
            });
            try {
                Native.kill(server.pid(), Native.SIGKILL);
                while (!Files.readString(Path.of("/proc/" + server.pid() + "/stat")).contains(") Z ")) {
                    Thread.sleep(5); // dead but not reaped: the socket is closed, the pid still the server's
                }
                assertThatThrownBy(() -> server.park(List.of())).isInstanceOf(InitServer.DiedException.class);
                assertThat(killed).containsExactly(server.pid());
                assertThat(server.hasDied()).isTrue();
            } finally {
                server.close();
            }
        });
    }

    @Test
    void aServerThatAnswersSomethingElseIsKilledNotWaitedFor(@TempDir Path dir) throws Exception {
        // Not a hello, and no exit: before, the start waited for it to exit (here 30 s; a stuck one, forever).
        Path fake = dir.resolve("sandbox-init");
        Files.writeString(fake, "#!/bin/sh\nprintf x >&3\nexec sleep 30\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        long childrenBefore = ProcessHandle.current().children().count();
        long fdsBefore = openDescriptors();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(
                () -> InitServer.start(fake, pid -> Native.kill(pid, Native.SIGKILL)))
                .isInstanceOf(SandboxException.class).hasMessageContaining("start sandbox-init server (" + fake + ")"));
        assertThat(ProcessHandle.current().children().count()).as("the fake server killed and reaped")
                .isEqualTo(childrenBefore);
        assertThat(openDescriptors()).as("its socket closed").isEqualTo(fdsBefore);
    }

    private static long openDescriptors() throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
