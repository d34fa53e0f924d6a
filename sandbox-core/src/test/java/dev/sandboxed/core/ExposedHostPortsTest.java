package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Host-loopback ports reached from inside as host.sandboxed.internal, beyond the basics of PortPublishingTest. */
@RequiresSandbox
@Timeout(120)
class ExposedHostPortsTest {
    private static final String CONNECT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
                print(c.makefile().readline().strip())
            except OSError as e:
                print('refused:', e.strerror); sys.exit(3)
            """;

    @Test
    void sandboxesSharingANetworkExposeTheSameHostPort() throws Exception {
        try (ServerSocket host = helloServer("shared")) {
            SandboxSpec spec = SandboxSpec.builder().exposeHostPort(host.getLocalPort()).build();
            Sandbox first = Sandbox.start(spec);
            try (Sandbox second = first.startSharingNetwork(spec)) {
                for (Sandbox s : new Sandbox[] {first, second, first, second}) {
                    assertThat(connect(s, host.getLocalPort())).isEqualTo("shared\n");
                }
                first.close(); // its listener goes: the port stays reachable through the second's
                for (int i = 0; i < 10; i++) {
                    assertThat(connect(second, host.getLocalPort())).isEqualTo("shared\n");
                }
            } finally {
                first.close();
            }
        }
    }

    private static String connect(Sandbox s, int port) {
        ExecResult r = s.exec("python3", "-c", CONNECT, "host.sandboxed.internal", "" + port);
        return r.stdout() + (r.exitCode() == 0 ? "" : r.tail(5));
    }

    /** A host-loopback server that greets every connection with one line, on a thread of its own. */
    private static ServerSocket helloServer(String greeting) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    c.getOutputStream().write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    return;
                }
            }
        }, "hello-" + greeting);
        t.setDaemon(true);
        t.start();
        return server;
    }
}
