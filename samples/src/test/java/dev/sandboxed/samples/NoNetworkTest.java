package dev.sandboxed.samples;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/** Proves that code under test has no network: only a loopback of its own, and the host is unreachable. */
@Sandboxed(network = "none")
class NoNetworkTest {

    @Test
    void onlyLoopbackExists(Container sandbox) {
        ExecResult links = sandbox.exec("cat", "/proc/net/dev");
        assertThat(links).succeeded();
        assertThat(links.stdout().lines().skip(2).map(l -> l.strip().split(":")[0]))
                .containsExactly("lo");
    }

    @Test
    void cannotReachAServerOnTheHostsLoopback(Container sandbox) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(500);
            ExecResult attempt = sandbox.exec("python3", "-c",
                    "import socket,sys\n"
                            + "try:\n"
                            + "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2)\n"
                            + "    print('connected')\n"
                            + "except OSError as e:\n"
                            + "    print('refused:', e.strerror)\n"
                            + "    sys.exit(3)\n",
                    Integer.toString(server.getLocalPort()));
            assertThat(attempt).hasExitCode(3).stdoutContains("refused");
            boolean accepted;
            try {
                server.accept().close();
                accepted = true;
            } catch (SocketTimeoutException e) {
                accepted = false;
            }
            assertThat(accepted).as("the host server saw a connection").isFalse();
        }
    }

    @Test
    void cannotResolveOrReachTheInternet(Container sandbox) {
        assertThat(sandbox.exec("python3", "-c",
                "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)")).failed()
                .stderrContains("Network is unreachable");
    }
}
