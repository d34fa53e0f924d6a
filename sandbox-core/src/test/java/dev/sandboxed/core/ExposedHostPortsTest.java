package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.HelloServer;
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

    /** Two clients inside, each with its own socket, send datagrams in turns; each gets exactly its own replies. */
    private static final String UDP_CLIENTS = """
            import socket, sys
            host, port, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
            for c in clients: c.settimeout(5)
            ok = 0
            for i in range(rounds):
                for n, c in enumerate(clients):
                    text = 'datagram %d of client %d' % (i, n)
                    c.sendto(text.encode(), (host, port))
                    try:
                        reply, _ = c.recvfrom(65535)
                    except socket.timeout:
                        print('no reply to', text); sys.exit(3)
                    if reply.decode() != text[::-1]:
                        print('wrong reply to', text, ':', reply); sys.exit(4)
                    ok += 1
            print(ok)
            """;

    @Test
    void udpDatagramsReachAnExposedHostPortAndRepliesFindEachClient() throws Exception {
        try (UdpEcho echo = new UdpEcho()) {
            try (Sandbox s = Sandbox.start(SandboxSpec.builder().exposeHostPort(HostPort.udp(echo.port())).build())) {
                ExecResult r = s.exec("python3", "-c", UDP_CLIENTS, "host.sandboxed.internal", "" + echo.port(), "20");
                assertThat(r.stdout()).as(r.tail(5)).isEqualTo("40\n");
                assertThat(echo.clients()).as("a host socket per client inside").isEqualTo(2);
            }
        }
    }

    @Test
    void onlyTheExposedTransportIsReachable() throws Exception {
        try (UdpEcho echo = new UdpEcho(); ServerSocket tcp = HelloServer.start("tcp")) {
            // The TCP port is exposed, not the UDP one of the same number; and the UDP port is not exposed for TCP.
            try (UdpEcho sameNumber = new UdpEcho(tcp.getLocalPort());
                    Sandbox s = Sandbox.start(SandboxSpec.builder().exposeHostPort(tcp.getLocalPort())
                            .exposeHostPort(HostPort.udp(echo.port())).build())) {
                ExecResult udp = s.exec("python3", "-c", UDP_CLIENTS, "host.sandboxed.internal", "" + tcp.getLocalPort(), "1");
                assertThat(udp.exitCode()).as(udp.tail(5)).isEqualTo(3);
                assertThat(sameNumber.clients()).isZero();
                assertThat(connect(s, echo.port())).startsWith("refused");
                assertThat(connect(s, tcp.getLocalPort())).isEqualTo("tcp\n");
            }
        }
    }

    @Test
    void sandboxesSharingANetworkExposeTheSameHostPort() throws Exception {
        try (ServerSocket host = HelloServer.start("shared")) {
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

    /** A UDP server of the host's loopback answering each datagram reversed; counts the client addresses it saw. */
    private static final class UdpEcho implements AutoCloseable {
        private final DatagramSocket socket;
        private final Set<SocketAddress> clients = ConcurrentHashMap.newKeySet();

        UdpEcho() throws SocketException {
            this(0);
        }

        UdpEcho(int port) throws SocketException {
            socket = new DatagramSocket(port, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::serve, "udp-echo");
            t.setDaemon(true);
            t.start();
        }

        private void serve() {
            byte[] buf = new byte[65536];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    clients.add(p.getSocketAddress());
                    byte[] reversed = new StringBuilder(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                            .reverse().toString().getBytes(StandardCharsets.UTF_8);
                    socket.send(new DatagramPacket(reversed, reversed.length, p.getSocketAddress()));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        int port() {
            return socket.getLocalPort();
        }

        int clients() {
            return clients.size();
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
