package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Two sandboxes in one network namespace (an app and its client), a third one outside it. */
@RequiresSandbox
class SharedNetworkTest {
    private static final String SERVER = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', 18080)); s.listen(); print('listening', flush=True)
            c, _ = s.accept(); c.sendall(b'hello from app\\n'); c.close()
            """;
    private static final String CLIENT = """
            import socket, sys
            try:
                c = socket.create_connection(('127.0.0.1', 18080), timeout=5); print(c.recv(100).decode().strip())
            except OSError as e:
                print('refused:', e.strerror); sys.exit(3)
            """;

    @Test
    void clientReachesAppOnLoopbackButStaysSeparateOtherwise() throws Exception {
        try (Sandbox app = Sandbox.start(SandboxSpec.builder().hostname("app").build());
                Sandbox client = app.startSharingNetwork(SandboxSpec.builder().hostname("client").build());
                Sandbox stranger = Sandbox.start(SandboxSpec.defaults())) {
            SandboxProcess server = app.spawn(ProcessSpec.of("python3", "-c", SERVER));
            BufferedReader out = new BufferedReader(new InputStreamReader(server.stdout()));
            assertThat(out.readLine()).isEqualTo("listening");

            ExecResult fromStranger = stranger.exec("python3", "-c", CLIENT);
            assertThat(fromStranger.exitCode()).as(fromStranger.tail(5)).isEqualTo(3);
            assertThat(fromStranger.stdout()).contains("refused");

            ExecResult fromClient = client.exec("python3", "-c", CLIENT);
            assertThat(fromClient.stdout()).as(fromClient.tail(5)).isEqualTo("hello from app\n");
            assertThat(server.waitFor().exitCode()).isZero();

            // Only the network is shared: hostnames, /tmp and processes stay each sandbox's own.
            assertThat(client.exec("hostname").stdout()).isEqualTo("client\n");
            app.exec("touch", "/tmp/only-in-app");
            assertThat(client.exec("test", "-e", "/tmp/only-in-app").exitCode()).isEqualTo(1);
            assertThat(client.exec("sh", "-c", "cat /proc/[0-9]*/comm | grep -c python3 || true").stdout().trim()).isEqualTo("0");
            assertThat(client.exec("sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '").stdout().trim()).isEqualTo("lo");
        }
    }

    @Test
    void aSharerWithoutItsOwnPidNamespaceLeavesTheServerFreeForOtherStarts() {
        // Without a pid namespace the joining process is the init itself: the server once waited for it to exit.
        SandboxSpec noPids = SandboxSpec.builder().withoutNamespace(Namespace.PID).withoutNamespace(Namespace.MOUNT)
                .build();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Sandbox app = Sandbox.start(SandboxSpec.defaults());
                    Sandbox client = app.startSharingNetwork(noPids);
                    Sandbox next = Sandbox.start(SandboxSpec.defaults())) {
                assertThat(client.exec("echo", "client").stdout()).isEqualTo("client\n");
                assertThat(next.exec("echo", "next").stdout()).isEqualTo("next\n");
            }
        });
    }

    @Test
    void theSharingSandboxOutlivesTheOwnersProcessesAndIsCleanedUp() {
        Sandbox app = Sandbox.start(SandboxSpec.defaults());
        Sandbox client = app.startSharingNetwork(SandboxSpec.defaults());
        int clientPid = client.pid();
        app.close();
        assertThat(client.exec("echo", "still up").stdout()).isEqualTo("still up\n");
        client.close();
        assertThat(Probes.eventually(5, () -> !Probes.processAlive(clientPid))).isTrue();
    }

    @Test
    void aFailureToOpenTheOwnersNamespaceFilesReachesTheCallerAtOnce() {
        // A tmpfs over /proc hides the owner init's /proc/self/ns: the init answers with the step and errno.
        try (Sandbox app = Sandbox.start(SandboxSpec.builder().tmpfs("/proc", 0).build())) {
            assertThatThrownBy(() -> app.startSharingNetwork(SandboxSpec.defaults()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("namespace files")
                    .extracting(e -> ((SandboxException) e).errnoName()).isEqualTo("ENOENT");
        }
    }
}
