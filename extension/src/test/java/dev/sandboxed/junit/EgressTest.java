package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** {@code network = "egress"}: the container's own namespace plus a tool's route; the host's loopback on request. */
@RequiresSandbox
class EgressTest {
    /** Connects to argv[1]:argv[2] and prints the first line it gets, or the error with exit code 3. */
    static final String CLIENT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10); print(c.makefile().readline().strip())
            except OSError as e:
                print('error:', e); sys.exit(3)
            """;

    /** Opens the host's loopback to the container: 10.0.2.2 is the host's 127.0.0.1. */
    public static final class HostLoopback implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.egressHostLoopback(true);
        }
    }

    @Test
    void anEgressContainerHasTheToolsRouteAndResolver(@Sandboxed(network = "egress") Container c) {
        assertThat(c.sandbox().spec().network()).isEqualTo(NetworkMode.EGRESS);
        assertThat(c.exec("cat", "/etc/resolv.conf").stdout()).contains("nameserver 10.0.2.3");
        assertThat(c.exec("cat", "/proc/net/route").stdout()).contains("tap0\t00000000");
    }

    @Test
    void theHostsLoopbackOnlyThroughACustomizer(@Sandboxed(network = "egress") Container hermetic,
            @Sandboxed(name = "open", network = "egress", customizers = HostLoopback.class) Container open)
            throws Exception {
        assertThat(open.id()).isNotEqualTo(hermetic.id());
        assertThat(hermetic.sandbox().spec().egressHostLoopback()).isFalse();
        assertThat(open.sandbox().spec().egressHostLoopback()).isTrue();
        try (ServerSocket server = greeter()) {
            String port = Integer.toString(server.getLocalPort());
            ExecResult refused = hermetic.exec("python3", "-c", CLIENT, "10.0.2.2", port);
            assertThat(refused.exitCode()).as(refused.stdout()).isEqualTo(3);
            assertThat(open.exec("python3", "-c", CLIENT, "10.0.2.2", port).stdout().strip())
                    .isEqualTo("hello from the host");
        }
    }

    /** A server on the host's 127.0.0.1 that greets every connection with one line. */
    private static ServerSocket greeter() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread greeter = new Thread(() -> {
            while (true) {
                try (Socket s = server.accept()) {
                    OutputStream out = s.getOutputStream();
                    out.write("hello from the host\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    return;
                }
            }
        }, "greeter");
        greeter.setDaemon(true);
        greeter.start();
        return server;
    }
}
