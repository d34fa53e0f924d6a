package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.cgroup.CgroupManager;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.rootfs.MountPlan;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

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
        java.util.Set<String> socketsBefore = sockets();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(
                () -> InitServer.start(fake, pid -> Native.kill(pid, Native.SIGKILL)))
                .isInstanceOf(SandboxException.class).hasMessageContaining("start sandbox-init server (" + fake + ")"));
        assertThat(ProcessHandle.current().children().filter(p -> p.info().command().orElse("").endsWith("sleep")))
                .as("the fake server killed and reaped").isEmpty();
        assertThat(sockets()).as("its socket closed").isSubsetOf(socketsBefore);
    }

    @Test
    void aRequestWithoutAnswerToAClosedServerIsDropped() {
        InitServer server = InitServer.start();
        server.close();
        assertThatCode(() -> server.unpark(1)).doesNotThrowAnyException();
        assertThatCode(() -> new InitServer.Created(1, false, 7, server).kill()).doesNotThrowAnyException();
    }

    @Test
    @RequiresSandbox
    void theServerKillsAnInitOnlyUnderTheNumberItGaveIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            InitServer server = InitServer.start();
            int[] sockets = {-1, -1, -1};
            try {
                InitServer.Created first = create(server, sockets, 0);
                InitServer.Created second = create(server, sockets, 1);
                assertThat(first.seq()).isPositive().isNotEqualTo(second.seq());

                // The first's number with the second's pid: what a kill of a reaped init whose pid was given anew
                // would send. The server lists the pid under another number, so it leaves that process alone.
                new InitServer.Created(second.pid(), false, first.seq(), server).kill();
                InitServer.Created third = create(server, sockets, 2); // answered after the kill: it was handled
                assertThat(alive(second.pid())).as("a process the kill's number does not name").isTrue();

                for (InitServer.Created init : List.of(second, first, third)) {
                    init.kill();
                    awaitGone(init.pid());
                }
            } finally {
                for (int socket : sockets) {
                    Native.close(socket);
                }
                server.close();
            }
        });
    }

    /** An init without cgroups; its socket's other end goes to {@code sockets[slot]}. */
    private static InitServer.Created create(InitServer server, int[] sockets, int slot) {
        SandboxSpec spec = SandboxSpec.builder().trackUsage(false).build();
        Message request = CreateMessage.of(spec, IdMapPlan.forSpec(spec, HostFacts.current()),
                MountPlan.forSpec(spec, Optional.empty()),
                CgroupManager.none().create("kill-test-" + slot, spec.limits()));
        int[] pair = Native.seqpacketPair("a test init");
        sockets[slot] = pair[0];
        try {
            return server.create(request, pair[1]);
        } finally {
            Native.close(pair[1]);
        }
    }

    /** Running or stopped, not a zombie: the server reaps its inits as soon as they exit. */
    private static boolean alive(int pid) throws java.io.IOException {
        try {
            return !Files.readString(Path.of("/proc/" + pid + "/stat")).contains(") Z ");
        } catch (java.nio.file.NoSuchFileException reaped) {
            return false;
        }
    }

    private static void awaitGone(int pid) throws Exception {
        while (alive(pid)) {
            Thread.sleep(5);
        }
    }

    /** The sockets this JVM has open ({@code socket:[INODE]}). */
    private static java.util.Set<String> sockets() throws java.io.IOException {
        java.util.Set<String> sockets = new java.util.HashSet<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:")) {
                        sockets.add(target);
                    }
                } catch (java.io.IOException closedMeanwhile) {
                    // not ours to judge
                }
            }
        }
        return sockets;
    }
}
