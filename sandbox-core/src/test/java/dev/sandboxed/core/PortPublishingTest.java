package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.Concurrently;
import dev.sandboxed.core.testing.HelloServer;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * Real servers in a sandbox reached from this JVM through published ports (TCP and UDP), and host-loopback ports
 * reached from inside as host.sandboxed.internal; nothing else crosses.
 */
@RequiresSandbox
@Timeout(300)
class PortPublishingTest {
    /** Port 8080: echo until EOF. Port 8082: 'H' + data: answers the data's sha256; 'R' + block: sends it 1024 times. */
    private static final String TCP_SERVER = """
            import hashlib, socket, threading
            def listen(port):
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('127.0.0.1', port)); s.listen(512); return s
            def echo(c):
                with c:
                    while True:
                        b = c.recv(65536)
                        if not b: break
                        c.sendall(b)
            def bulk(c):
                with c:
                    mode = c.recv(1)
                    buf = bytearray(1 << 20); view = memoryview(buf)
                    if mode == b'H':
                        h = hashlib.sha256()
                        while True:
                            n = c.recv_into(buf)
                            if not n: break
                            h.update(view[:n])
                        c.sendall(h.hexdigest().encode())
                    else:
                        block = bytearray()
                        while True:
                            b = c.recv(65536)
                            if not b: break
                            block += b
                        for _ in range(1024): c.sendall(block)
            def serve(s, handler):
                while True:
                    c, _ = s.accept(); threading.Thread(target=handler, args=(c,), daemon=True).start()
            a, b = listen(8080), listen(8082)
            threading.Thread(target=serve, args=(b, bulk), daemon=True).start()
            print('listening', flush=True)
            serve(a, echo)
            """;
    private static final String UDP_SERVER = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 5353))
            print('listening', flush=True)
            while True:
                d, a = s.recvfrom(65535); s.sendto(d[::-1], a)
            """;
    private static final String CONNECT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
                print(c.makefile().readline().strip())
            except OSError as e:
                print('refused:', e.strerror); sys.exit(3)
            """;

    private static Sandbox sandbox;
    /** The same servers behind the init's splice forwarder (bypass off): what serves UDP, `off` and older kernels. */
    private static Sandbox proxied;

    @BeforeAll
    static void startServers() throws IOException {
        SandboxSpec spec = SandboxSpec.builder()
                .publish(PortMapping.tcp(8080), PortMapping.tcp(8081), PortMapping.tcp(8082), PortMapping.udp(5353))
                .build();
        sandbox = Sandbox.start(spec);
        proxied = startProxied(spec);
        for (Sandbox s : List.of(sandbox, proxied)) {
            awaitListening(s.spawn(ProcessSpec.of("python3", "-c", TCP_SERVER)));
            awaitListening(s.spawn(ProcessSpec.of("python3", "-c", UDP_SERVER)));
        }
    }

    @AfterAll
    static void stop() {
        for (Sandbox s : new Sandbox[] {sandbox, proxied}) {
            if (s != null) {
                s.close();
            }
        }
    }

    /** The shared sandbox for a path: {@code default} (the bypass where the host allows it) or {@code proxied}. */
    private static Sandbox on(String path) {
        return path.equals("proxied") ? proxied : sandbox;
    }

    private static void awaitListening(SandboxProcess server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.stdout(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("listening");
    }

    private static Socket connect(int containerPort) throws IOException {
        return connect(sandbox, containerPort);
    }

    private static Socket connect(Sandbox in, int containerPort) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(in.host(), in.mappedPort(containerPort)), 10_000);
        s.setSoTimeout(60_000);
        return s;
    }

    /** Sends {@code data}, shuts down output (the half-close), and expects every byte back before the server's EOF. */
    private static void echoRoundTrip(byte[] data) throws IOException {
        echoRoundTrip(sandbox, data);
    }

    private static void echoRoundTrip(Sandbox in, byte[] data) throws IOException {
        try (Socket s = connect(in, 8080)) {
            s.getOutputStream().write(data);
            s.shutdownOutput();
            byte[] back = s.getInputStream().readAllBytes();
            assertThat(back).isEqualTo(data);
        }
    }

    @Test
    void ephemeralMappingOnLoopback() {
        assertThat(sandbox.host()).isEqualTo("127.0.0.1");
        assertThat(sandbox.mappedPort(8080)).isBetween(1024, 65535).isNotEqualTo(8080);
        assertThat(sandbox.mappedPort(5353, PortMapping.Transport.UDP)).isPositive();
        assertThatThrownBy(() -> sandbox.mappedPort(9999))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("9999/tcp is not published")
                .hasMessageContaining("8080/tcp, 8081/tcp, 8082/tcp, 5353/udp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "proxied"})
    void thousandSequentialConnectionsEveryByteChecked(String path) throws IOException {
        Random random = new Random(1);
        for (int i = 0; i < 1000; i++) {
            byte[] data = new byte[1 + random.nextInt(4096)];
            random.nextBytes(data);
            echoRoundTrip(on(path), data);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "proxied"})
    void sixtyFourConcurrentConnections(String path) throws Exception {
        Concurrently.run(64, 20, random -> {
            byte[] data = new byte[1 + random.nextInt(16384)];
            random.nextBytes(data);
            echoRoundTrip(on(path), data);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "proxied"})
    void oneGibibyteEachWayWithAChecksum(String path) throws Exception {
        byte[] block = new byte[1 << 20];
        new Random(7).nextBytes(block);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (Socket s = connect(on(path), 8082)) {
            OutputStream out = s.getOutputStream();
            out.write('H');
            for (int i = 0; i < 1024; i++) {
                block[0] = (byte) i; // every MiB differs
                out.write(block);
                sent.update(block);
            }
            s.shutdownOutput();
            String digest = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(digest).isEqualTo(HexFormat.of().formatHex(sent.digest()));
        }
        try (Socket s = connect(on(path), 8082)) {
            OutputStream out = s.getOutputStream();
            out.write('R');
            out.write(block);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] chunk = new byte[block.length];
            for (int i = 0; i < 1024; i++) {
                int n = in.readNBytes(chunk, 0, chunk.length);
                assertThat(n).as("MiB %d", i).isEqualTo(chunk.length);
                assertThat(Arrays.equals(chunk, block)).as("MiB %d is the block", i).isTrue();
            }
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void aPortNobodyListensOnInsideResetsTheConnectionAtOnce() throws IOException {
        // The host side accepts, then the init resets it: seen by connect() already, or by the first read.
        try (Socket s = connect(8081)) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (SocketException reset) {
            assertThat(reset.getMessage()).containsIgnoringCase("reset");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "proxied"})
    void aServerResetInsideResetsTheHostConnection(String path) throws Exception {
        // The response is cut off: the host client must not see it end as if it were complete.
        String resetting = """
                import socket, struct
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('127.0.0.1', 8090)); s.listen(8)
                print('listening', flush=True)
                c, _ = s.accept()
                c.recv(1)
                c.sendall(b'x' * 100000)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                c.close()
                """;
        SandboxSpec spec = SandboxSpec.builder().publish(PortMapping.tcp(8090)).build();
        try (Sandbox s = path.equals("proxied") ? startProxied(spec) : Sandbox.start(spec)) {
            awaitListening(s.spawn(ProcessSpec.of("python3", "-c", resetting)));
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress(s.host(), s.mappedPort(8090)), 10_000);
                c.setSoTimeout(60_000);
                c.getOutputStream().write('?');
                assertThatThrownBy(() -> c.getInputStream().readAllBytes())
                        .isInstanceOf(SocketException.class).hasMessageContaining("reset");
            }
        }
    }

    @Test
    void udpEchoPerClient() throws IOException {
        int port = sandbox.mappedPort(5353, PortMapping.Transport.UDP);
        try (DatagramSocket a = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                DatagramSocket b = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            a.setSoTimeout(10_000);
            b.setSoTimeout(10_000);
            for (int i = 0; i < 20; i++) {
                for (DatagramSocket client : List.of(a, b)) {
                    String text = "datagram " + i + " from " + client.getLocalPort();
                    byte[] data = text.getBytes(StandardCharsets.UTF_8);
                    client.send(new DatagramPacket(data, data.length, InetAddress.getLoopbackAddress(), port));
                    DatagramPacket reply = new DatagramPacket(new byte[1024], 1024);
                    client.receive(reply);
                    assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8))
                            .isEqualTo(new StringBuilder(text).reverse().toString());
                }
            }
        }
    }

    @Test
    void theInitKeepsNoDescriptorOfFinishedConnections() throws IOException {
        // The forwarder's: with the bypass the init holds no connection at all.
        Path fds = Path.of("/proc/" + proxied.pid() + "/fd");
        // The init is not dumpable: only real root may list its descriptors.
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(fds), "the init's descriptors are readable");
        echoRoundTrip(proxied, new byte[] {1});
        // The init closes a connection's descriptors when it sees both ends finish, a moment after the client does:
        // count once that first connection is gone (no listener or pipe of it left), and let the rest settle too.
        long before = settledCount(fds);
        for (int i = 0; i < 200; i++) {
            echoRoundTrip(proxied, new byte[] {(byte) i});
        }
        assertThat(Probes.eventually(5, () -> countEntries(fds) <= before)).as("init fds").isTrue();
    }

    @Test
    void idleConnectionsHoldNoPipe() throws Exception {
        try (Sandbox proxied = startProxied(SandboxSpec.builder()
                .publish(PortMapping.tcp(8080), PortMapping.tcp(8082)).build())) {
            Path fds = Path.of("/proc/" + proxied.pid() + "/fd");
            // The init is not dumpable: only real root may list its descriptors.
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(fds), "the init's descriptors are readable");
            awaitListening(proxied.spawn(ProcessSpec.of("python3", "-c", TCP_SERVER)));
            try (Socket s = connect(proxied, 8080)) {
                s.getOutputStream().write(1);
                s.shutdownOutput();
                assertThat(s.getInputStream().readAllBytes()).containsExactly(1);
            }
            settledCount(fds);
            long socketsBefore = countLinks(fds, "socket:");
            long pipesBefore = countLinks(fds, "pipe:");
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    idle.add(connect(proxied, 8080));
                }
                // Each is accepted and connected inside (two sockets) but has carried no byte: no pipe yet.
                assertThat(Probes.eventually(30, () -> countLinks(fds, "socket:") >= socketsBefore + 40)).isTrue();
                assertThat(countLinks(fds, "pipe:")).isEqualTo(pipesBefore);
                Socket first = idle.get(0);
                first.getOutputStream().write('x');
                assertThat(first.getInputStream().read()).isEqualTo('x');
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
        }
    }

    /** A sandbox whose published ports go through the init's relay (sandboxed.publish.bypass=off): its own limits. */
    private static Sandbox startProxied(SandboxSpec spec) {
        String before = System.getProperty("sandboxed.publish.bypass");
        System.setProperty("sandboxed.publish.bypass", "off");
        try {
            return Sandbox.start(spec);
        } finally {
            if (before == null) {
                System.clearProperty("sandboxed.publish.bypass");
            } else {
                System.setProperty("sandboxed.publish.bypass", before);
            }
        }
    }

    private static long countLinks(Path fds, String prefix) {
        try (var list = Files.list(fds)) {
            return list.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(prefix);
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The descriptor count once it has stayed the same for 200 ms (at most 5 s). */
    private static long settledCount(Path fds) {
        long last = countEntries(fds);
        long deadline = System.nanoTime() + 5_000_000_000L;
        int same = 0;
        while (same < 10 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = countEntries(fds);
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }

    @Test
    void theMappingEndsWithTheSandboxAndTheJvmKeepsNoDescriptor() throws Exception {
        Path self = Path.of("/proc/self/fd");
        Sandbox.start(SandboxSpec.builder().publish(PortMapping.tcp(80)).build()).close(); // warm: threads, classes
        SandboxRuntime.shared().awaitIdle(); // a sandbox an earlier test's start left being started ahead is done
        long before = countEntries(self);
        int port;
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().publish(PortMapping.tcp(80), PortMapping.udp(80))
                .exposeHostPort(9).build())) {
            port = s.mappedPort(80);
            try (Socket c = new Socket("127.0.0.1", port)) {
                assertThat(c.getInputStream().read()).isEqualTo(-1); // accepted, nobody inside: closed
            } catch (SocketException reset) {
                // or reset
            }
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        assertThat(Probes.eventually(5, () -> countEntries(self) <= before)).as("JVM fds").isTrue();
    }

    @Test
    void aMappingCarriesAtMost1024ConnectionsAtOnce() throws Exception {
        // The server never accepts: the kernel completes its connections into the backlog, so each holds a slot.
        String holder = "import socket, time\n"
                + "s = socket.socket(); s.bind(('127.0.0.1', 8090)); s.listen(4096); print('listening', flush=True)\n"
                + "time.sleep(3600)\n";
        List<java.nio.channels.SocketChannel> clients = new ArrayList<>();
        try (Sandbox s = startProxied(SandboxSpec.builder().publish(PortMapping.tcp(8090)).build())) {
            awaitListening(s.spawn(ProcessSpec.of("python3", "-c", holder)));
            InetSocketAddress mapped = new InetSocketAddress("127.0.0.1", s.mappedPort(8090));
            for (int i = 0; i < 1100; i++) {
                java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open();
                clients.add(c);
                try {
                    c.connect(mapped);
                    c.configureBlocking(false);
                } catch (IOException resetAlready) {
                    // one over the limit, reset before connect() returned
                }
            }
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(1);
            assertThat(Probes.eventually(20, () -> clients.stream().filter(c -> {
                try {
                    return !c.isConnected() || c.read(buffer.clear()) < 0;
                } catch (IOException reset) {
                    return true;
                }
            }).count() == 1100 - 1024)).as("connections over the limit are reset, the others held").isTrue();
        } finally {
            for (java.nio.channels.SocketChannel c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aServerListeningOnlyOnIpv6LoopbackIsReachedToo() throws Exception {
        String server = "import socket\n"
                + "s = socket.socket(socket.AF_INET6); s.bind(('::1', 8091)); s.listen(); print('listening', flush=True)\n"
                + "c, _ = s.accept(); c.sendall(b'over ipv6\\n'); c.close()\n";
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().publish(PortMapping.tcp(8091)).build())) {
            awaitListening(s.spawn(ProcessSpec.of("python3", "-c", server)));
            try (Socket c = new Socket("127.0.0.1", s.mappedPort(8091))) {
                assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("over ipv6\n");
            }
        }
    }

    @Test
    void aFixedHostPortInUseFailsTheStartNamingIt() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            SandboxRuntime.shared().awaitIdle(); // a sandbox an earlier test's start left being started ahead is done
            long before = countEntries(Path.of("/proc/self/fd"));
            assertThatThrownBy(() -> Sandbox.start(SandboxSpec.builder()
                    .publish(PortMapping.tcp(80), PortMapping.tcp(8080).withHostPort(port)).build()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("8080/tcp")
                    .hasMessageContaining("EADDRINUSE");
            assertThat(countEntries(Path.of("/proc/self/fd"))).isLessThanOrEqualTo(before);
        }
    }

    @Test
    void aFixedHostPortIsUsed() throws IOException {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().publish(PortMapping.parse("127.0.0.1:" + free + ":7070")).build())) {
            assertThat(s.mappedPort(7070)).isEqualTo(free);
        }
    }

    @Test
    void exposedHostPortIsReachableByNameAndNoOtherHostPortIs() throws Exception {
        try (ServerSocket exposed = HelloServer.start("exposed"); ServerSocket hidden = HelloServer.start("hidden");
                Sandbox s = Sandbox.start(SandboxSpec.builder().exposeHostPort(exposed.getLocalPort()).build())) {
            ExecResult r = s.exec("python3", "-c", CONNECT, "host.sandboxed.internal", "" + exposed.getLocalPort());
            assertThat(r.stdout()).as(r.tail(5)).isEqualTo("exposed\n");
            for (int i = 0; i < 20; i++) { // each connection is its own host socket
                assertThat(s.exec("python3", "-c", CONNECT, "127.0.0.2", "" + exposed.getLocalPort()).stdout())
                        .isEqualTo("exposed\n");
            }
            for (String address : List.of("host.sandboxed.internal", "127.0.0.1", "127.0.0.2")) {
                ExecResult other = s.exec("python3", "-c", CONNECT, address, "" + hidden.getLocalPort());
                assertThat(other.exitCode()).as(address + ": " + other.tail(5)).isEqualTo(3);
            }
        }
    }

    @Test
    void aFloodOfConnectionsToAnExposedPortLeavesTheSandboxUsable() throws Exception {
        // Each connection is a request to this JVM: a thousand at once must not fill the control socket both ways.
        String flood = """
                import resource, socket, sys
                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                held = []
                for i in range(1000):
                    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.2', int(sys.argv[1]))); held.append(c)
                print(len(held))
                """;
        try (ServerSocket exposed = HelloServer.start("flooded")) {
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                try (Sandbox s = Sandbox.start(SandboxSpec.builder().exposeHostPort(exposed.getLocalPort()).build())) {
                    ExecResult r = s.exec("python3", "-c", flood, "" + exposed.getLocalPort());
                    assertThat(r.stdout()).as(r.tail(5)).isEqualTo("1000\n");
                    assertThat(s.exec("echo", "alive").stdout()).isEqualTo("alive\n");
                    assertThat(s.exec("python3", "-c", CONNECT, "127.0.0.2", "" + exposed.getLocalPort()).stdout())
                            .isEqualTo("flooded\n");
                }
            });
        }
        settledCount(Path.of("/proc/self/fd")); // late answers still closing their host sockets: not the next test's
    }

    @Test
    void aOneShotSandboxReachesAnExposedPortToo() throws Exception {
        // Its caller receives the init's messages itself, the host connection requests among them.
        try (ServerSocket exposed = HelloServer.start("one-shot")) {
            ExecResult r = Sandbox.run(SandboxSpec.builder().exposeHostPort(exposed.getLocalPort()).build(),
                    ProcessSpec.of("python3", "-c", CONNECT, "host.sandboxed.internal", "" + exposed.getLocalPort()));
            assertThat(r.stdout()).as(r.tail(5)).isEqualTo("one-shot\n");
        }
    }

    @Test
    void withoutExposedPortsNothingOfTheHostIsReachable() throws Exception {
        try (ServerSocket host = HelloServer.start("host"); Sandbox s = Sandbox.start(SandboxSpec.defaults())) {
            for (String address : List.of("127.0.0.1", "127.0.0.2")) {
                ExecResult r = s.exec("python3", "-c", CONNECT, address, "" + host.getLocalPort());
                assertThat(r.exitCode()).as(address + ": " + r.tail(5)).isEqualTo(3);
            }
            assertThat(s.exec("getent", "hosts", "host.sandboxed.internal").exitCode()).isNotZero();
        }
    }

    @Test
    void publishingNeedsTheSandboxesOwnNetwork() {
        assertThatThrownBy(() -> SandboxSpec.builder().network(dev.sandboxed.core.spec.NetworkMode.HOST)
                .publish(PortMapping.tcp(80)).build())
                .hasMessageStartingWith("publish: needs the sandbox's own network namespace");
    }

    @Test
    void aSandboxSharingTheNetworkPublishesToo() throws Exception {
        try (Sandbox client = sandbox.startSharingNetwork(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            try (Socket s = new Socket("127.0.0.1", client.mappedPort(8080))) {
                s.getOutputStream().write("shared\n".getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("shared\n");
            }
        }
    }


    private static long countEntries(Path dir) {
        try (var list = Files.list(dir)) {
            return list.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
