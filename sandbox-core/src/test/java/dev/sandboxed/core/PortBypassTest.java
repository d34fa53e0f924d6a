package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.ClearedProperty;
import dev.sandboxed.core.testing.Concurrently;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.wait.Wait;

/**
 * The port bypass (sandboxed.publish.bypass=auto, the default): a real server in a sandbox that binds a published TCP port gets the
 * host socket itself; its getsockname shows the host port, which is how these tests know the bypass was used.
 */
@RequiresSandbox
@Timeout(300)
class PortBypassTest {
    /**
     * argv: family (4 or 6), address, port, V6ONLY (0/1). Binds, prints "listening PORT" with the port getsockname
     * shows, echoes each connection until EOF ('R' first: resets it after the echo); a line "restart" on stdin closes
     * the listening socket and binds again (a server restarted in place).
     */
    private static final String ECHO = """
            import select, socket, struct, sys, threading
            family = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
            def echo(c):
                with c:
                    first = True
                    while True:
                        b = c.recv(65536)
                        if not b: break
                        if first and b[:1] == b'R':
                            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                            c.sendall(b'x' * 100000); return
                        first = False
                        c.sendall(b)
            def serve(s, stop):
                while not stop.is_set():
                    if select.select([s], [], [], 0.1)[0]:
                        c, _ = s.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
            while True:
                s = socket.socket(family, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(sys.argv[4]))
                s.bind((sys.argv[2], int(sys.argv[3]))); s.listen(512)
                print('listening', s.getsockname()[1], flush=True)
                stop = threading.Event()
                t = threading.Thread(target=serve, args=(s, stop), daemon=True); t.start()
                if sys.stdin.readline().strip() != 'restart': break
                stop.set(); t.join(); s.close()
            """;
    /** Sends argv[3] to argv[1]:argv[2] and prints the echo, or the error with exit code 3. */
    private static final String CLIENT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
                c.sendall(sys.argv[3].encode()); c.shutdown(socket.SHUT_WR)
                print(c.makefile().read())
            except OSError as e:
                print('error:', e.errno, e.strerror); sys.exit(3)
            """;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    @RegisterExtension
    static final ClearedProperty BYPASS_DEFAULT = new ClearedProperty("sandboxed.publish.bypass"); // auto

    private record Server(SandboxProcess process, BufferedReader out) {
        int awaitListening() throws IOException {
            String line = out.readLine();
            assertThat(line).as(() -> "server said: " + stderr()).isNotNull().startsWith("listening ");
            return Integer.parseInt(line.substring("listening ".length()));
        }

        private String stderr() {
            try {
                return new String(process.stderr().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        }

        void restart() throws IOException {
            OutputStream in = process.stdin();
            in.write("restart\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
        }
    }

    private static Server echo(Sandbox sandbox, String family, String address, int port, int v6only) {
        SandboxProcess p = sandbox.spawn(ProcessSpec.builder("python3", "-c", ECHO, family, address,
                Integer.toString(port), Integer.toString(v6only)).stdin(Stdio.pipe()).build());
        return new Server(p, new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8)));
    }

    private static Socket connect(Sandbox sandbox, int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(sandbox.host(), sandbox.mappedPort(port)), 10_000);
        s.setSoTimeout(60_000);
        return s;
    }

    /** Sends data, half-closes, and expects every byte back before the server's EOF. */
    private static void roundTrip(Sandbox sandbox, int port, byte[] data) throws IOException {
        try (Socket s = connect(sandbox, port)) {
            s.getOutputStream().write(data);
            s.shutdownOutput();
            assertThat(s.getInputStream().readAllBytes()).isEqualTo(data);
        }
    }

    private static byte[] randomBytes(Random random, int max) {
        byte[] data = new byte[1 + random.nextInt(max)];
        random.nextBytes(data);
        if (data[0] == 'R') {
            data[0] = 'r'; // 'R' first asks the server for a reset
        }
        return data;
    }

    @Test
    void aServerOnTheWildcardTakesTheHostSocketAndCarriesEveryByte() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Server server = echo(sandbox, "4", "0.0.0.0", 8080, 0);
            assertThat(server.awaitListening()).as("getsockname in the sandbox").isEqualTo(sandbox.mappedPort(8080));
            Random random = new Random(1);
            for (int i = 0; i < 300; i++) {
                roundTrip(sandbox, 8080, randomBytes(random, 65536));
            }
            Concurrently.run(64, 20, r -> roundTrip(sandbox, 8080, randomBytes(r, 16384)));
            // A reset by the server reaches the client as one: the response never looks complete.
            try (Socket c = connect(sandbox, 8080)) {
                c.getOutputStream().write('R');
                assertThatThrownBy(() -> c.getInputStream().readAllBytes())
                        .isInstanceOf(SocketException.class).hasMessageContaining("reset");
            }
        }
    }

    @Test
    void clientsInsideStillReachTheServerOnItsContainerPort() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Server server = echo(sandbox, "4", "0.0.0.0", 8080, 0);
            assertThat(server.awaitListening()).isEqualTo(sandbox.mappedPort(8080));
            Wait.forListeningPort(8080).awaitOn(sandbox); // reads the init's /proc/PID/net/tcp: its relay listens
            ExecResult inside = sandbox.exec("python3", "-c", CLIENT, "127.0.0.1", "8080", "from inside");
            assertThat(inside.stdout()).as(inside.toString()).isEqualTo("from inside\n");
            roundTrip(sandbox, 8080, "from the host".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aNetworkPeerReachesTheServerOnTheMembersAddress() throws Exception {
        try (Network net = runtime.createNetwork("bypass");
                Sandbox web = runtime.start(SandboxSpec.builder().hostname("web").joinNetwork("bypass")
                        .publish(PortMapping.tcp(8080)).build());
                Sandbox peer = runtime.start(SandboxSpec.builder().hostname("peer").joinNetwork("bypass").build())) {
            Server server = echo(web, "4", "0.0.0.0", 8080, 0);
            assertThat(server.awaitListening()).isEqualTo(web.mappedPort(8080));
            assertThat(web.address()).isPresent();
            ExecResult byAddress = peer.exec("python3", "-c", CLIENT, web.address().get(), "8080", "by address");
            assertThat(byAddress.stdout()).as(byAddress.toString()).isEqualTo("by address\n");
            assertThat(net.subnet()).isNotEmpty();
            ExecResult byName = peer.exec("python3", "-c", CLIENT, "web", "8080", "peer");
            assertThat(byName.stdout()).as(byName.toString()).isEqualTo("peer\n");
            roundTrip(web, 8080, "host".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aServerRestartedInPlaceGetsTheSameHostSocketAgain() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Server server = echo(sandbox, "4", "0.0.0.0", 8080, 0);
            int host = sandbox.mappedPort(8080);
            assertThat(server.awaitListening()).isEqualTo(host);
            roundTrip(sandbox, 8080, "first".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 3; i++) {
                server.restart();
                assertThat(server.awaitListening()).as("restart %d", i).isEqualTo(host);
                roundTrip(sandbox, 8080, ("after restart " + i).getBytes(StandardCharsets.US_ASCII));
                ExecResult inside = sandbox.exec("python3", "-c", CLIENT, "127.0.0.1", "8080", "inside " + i);
                assertThat(inside.stdout()).as(inside.toString()).isEqualTo("inside " + i + "\n");
            }
        }
    }

    @Test
    void anIpv6WildcardServerTakesTheTwinSocket() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Server server = echo(sandbox, "6", "::", 8080, 0);
            assertThat(server.awaitListening()).isEqualTo(sandbox.mappedPort(8080));
            Random random = new Random(2);
            for (int i = 0; i < 50; i++) {
                roundTrip(sandbox, 8080, randomBytes(random, 65536));
            }
            ExecResult inside = sandbox.exec("python3", "-c", CLIENT, "::1", "8080", "v6 inside");
            assertThat(inside.stdout()).as(inside.toString()).isEqualTo("v6 inside\n");
            // Restarted as an IPv4 server, it takes the IPv4 socket back.
            server.process().kill();
            server.process().waitFor();
            Server again = echo(sandbox, "4", "127.0.0.1", 8080, 0);
            assertThat(again.awaitListening()).isEqualTo(sandbox.mappedPort(8080));
            roundTrip(sandbox, 8080, "v4 again".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void pythonHttpServerOnIpv6AndBusyboxHttpdServeThroughTheBypass() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder()
                .publish(PortMapping.tcp(8000), PortMapping.tcp(8001)).build())) {
            SandboxProcess py = sandbox.spawn(ProcessSpec.of("sh", "-c", "mkdir -p /tmp/www && echo hello > "
                    + "/tmp/www/index.html && cd /tmp/www && exec python3 -u -m http.server --bind :: 8000"));
            StringBuffer log = new StringBuffer();
            Thread drain = new Thread(() -> {
                try {
                    log.append(new String(py.stderr().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    log.append(e);
                }
            });
            drain.start();
            sandbox.spawn(ProcessSpec.of("sh", "-c", "while [ ! -f /tmp/www/index.html ]; do sleep 0.05; done;"
                    + " exec busybox httpd -f -p 8001 -h /tmp/www"));
            Wait.forListeningPort(8000).awaitOn(sandbox);
            Wait.forListeningPort(8001).awaitOn(sandbox);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            for (int port : List.of(8000, 8001)) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + sandbox.host() + ":"
                        + sandbox.mappedPort(port) + "/index.html")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).as(() -> "port " + port + "; http.server: " + log).isEqualTo("hello\n");
            }
            // Bypassed: the servers' own sockets are the host ones, so nothing listens inside but the init's relays.
            String tcp6 = sandbox.exec("cat", "/proc/net/tcp6").stdout() + sandbox.exec("cat", "/proc/net/tcp").stdout();
            assertThat(hostPortsListedInside(tcp6, sandbox)).isEmpty();
        }
    }

    /** Host ports of the mappings that /proc/net/tcp{,6} inside list: none while the servers hold host sockets. */
    private static List<Integer> hostPortsListedInside(String table, Sandbox sandbox) {
        List<Integer> found = new ArrayList<>();
        for (int port : List.of(sandbox.mappedPort(8000), sandbox.mappedPort(8001))) {
            if (table.toUpperCase().contains(String.format(":%04X ", port))) {
                found.add(port);
            }
        }
        return found;
    }

    @Test
    void anIpv6OnlyServerGetsTheProxy() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Server server = echo(sandbox, "6", "::", 8080, 1);
            assertThat(server.awaitListening()).isEqualTo(8080);
            roundTrip(sandbox, 8080, "through the proxy".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void offKeepsTheProxy() throws Exception {
        System.setProperty("sandboxed.publish.bypass", "off");
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Server server = echo(sandbox, "4", "0.0.0.0", 8080, 0);
            assertThat(server.awaitListening()).isEqualTo(8080);
            roundTrip(sandbox, 8080, "proxied".getBytes(StandardCharsets.US_ASCII));
        } finally {
            System.clearProperty("sandboxed.publish.bypass");
        }
    }

    @Test
    void aBadValueFailsNamingThePropertyBeforeAnythingStarts() {
        System.setProperty("sandboxed.publish.bypass", "yes");
        try {
            assertThatThrownBy(() -> runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build()))
                    .isInstanceOf(SpecException.class)
                    .hasMessageContaining("sandboxed.publish.bypass").hasMessageContaining("allowed: auto, off");
            assertThat(runtime.openSandboxes()).isEmpty();
        } finally {
            System.clearProperty("sandboxed.publish.bypass");
        }
    }
}
