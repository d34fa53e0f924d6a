package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.ServiceImages;
import dev.sandboxed.core.testing.TestRegistry;
import dev.sandboxed.core.wait.ReadinessException;

/** Published ports, exposed host ports and HTTP waits of containers, reached from the test as Testcontainers users do. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PortsTest {
    /** python3's http.server on {@code port}, serving /tmp/www (health: "up"), after half a second. */
    static final String WEB = "mkdir -p /tmp/www && echo up > /tmp/www/health && sleep 0.5 && "
            + "exec python3 -m http.server 18093 --bind 127.0.0.1 --directory /tmp/www";
    static final String HTTPD = "sleep 0.5; echo starting httpd; exec httpd -f -v -p 127.0.0.1:18090 -h /work";
    @TempDir
    static Path cache;
    static final List<Integer> pids = new ArrayList<>();
    /** The test's own server, which containers reach through an exposed host port. */
    static Http.Server hostServer;

    @BeforeAll
    static void setUp() throws Exception {
        Path layout = ServiceImages.layout(Path.of("target/ports-layout"));
        ServiceImages.tag(layout, "httpd", HTTPD, List.of(), Duration.ZERO, 0);
        TestRegistry.run("umoci", "config", "--image", layout + ":httpd", "--tag", "httpd-exposed",
                "--config.exposedports", "18090/tcp", "--config.exposedports", "5353/udp");
        System.setProperty("sandboxed.image.cache", cache.toString());
        hostServer = new Http.Server(0, "hello from the test: ");
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("sandboxed.image.cache");
        hostServer.close();
    }

    @BeforeEach
    void clean() {
        pids.clear();
    }

    static class Services {
        @Test
        void aStartedCommandReachedThroughItsMappedPort(@Sandboxed(command = {"sh", "-c", WEB}, publish = "18093",
                waitFor = "http:18093/health") Container web) throws IOException {
            pids.add(web.pid());
            // One request, no retry: the wait returned only once the server answered through the mapping.
            String r = Http.get(web.url(18093, "health"));
            assertThat(Http.status(r)).isEqualTo(200);
            assertThat(Http.body(r)).isEqualTo("up\n");
            assertThat(web.host()).isEqualTo("127.0.0.1");
            assertThat(web.url(18093, "/x")).isEqualTo(URI.create("http://127.0.0.1:" + web.mappedPort(18093) + "/x"));
            assertThat(web.mappedPort(18093, PortMapping.Transport.TCP)).isEqualTo(web.mappedPort(18093));
            assertThatThrownBy(() -> web.mappedPort(9999)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("9999/tcp is not published; published: 18093/tcp");
        }

        @Test
        void anImageStartedWithItsPortsPublished(@Sandboxed(image = "oci:target/ports-layout:httpd-exposed",
                start = true, publishAll = true, waitFor = "http:18090/greeting=200") Container server) throws IOException {
            pids.add(server.pid());
            assertThat(Http.body(Http.get(server.url(18090, "/greeting")))).isEqualTo("hello from the image\n");
            assertThat(server.spec().publishedPorts()).containsExactly(PortMapping.tcp(18090), PortMapping.udp(5353),
                    PortMapping.tcp(8080)); // the last from the busybox image underneath
            assertThat(server.mappedPort(5353, PortMapping.Transport.UDP)).isPositive();
        }

        @Test
        void anExplicitMappingWinsOverPublishAll(@Sandboxed(image = "oci:target/ports-layout:httpd-exposed",
                start = true, publishAll = true, publish = "127.0.0.2::18090", waitFor = "http:18090/greeting")
                                                 Container server) throws IOException {
            pids.add(server.pid());
            assertThat(server.host()).isEqualTo("127.0.0.2");
            assertThat(Http.status(Http.get(server.url(18090, "/greeting")))).isEqualTo(200);
            assertThat(server.spec().publishedPorts()).containsExactly(PortMapping.tcp(18090).withHostAddress("127.0.0.2"),
                    PortMapping.udp(5353), PortMapping.tcp(8080));
        }

        @Test
        void aContainerReachesTheTestsServerThroughACustomizer(
                @Sandboxed(customizers = ExposeHostServer.class) Container c) {
            pids.add(c.pid());
            int port = hostServer.port();
            ExecResult r = c.exec("python3", "-c", "import urllib.request, sys; print(urllib.request.urlopen("
                    + "'http://host.sandboxed.internal:' + sys.argv[1] + '/from-sandbox', timeout=10).read().decode())",
                    Integer.toString(port));
            assertThat(r.stdout()).as(r.toString()).isEqualTo("hello from the test: GET /from-sandbox HTTP/1.1\n");
        }
    }

    /** Exposes the test's server, whose port is known only at run time. */
    public static class ExposeHostServer implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.exposeHostPort(hostServer.port());
        }
    }

    @Test
    void servicesAreReachedThroughTheirMappedPorts() {
        Kit.succeeded(Kit.run(Services.class), 4);
        Kit.assertNothingLeft(pids);
    }

    /** A fixed host port, exposed with the annotation; only that one. */
    static class ExposedConstantPort {
        static Http.Server server;

        @BeforeAll
        static void start() throws IOException {
            server = new Http.Server(38917, "fixed");
        }

        @AfterAll
        static void stop() {
            server.close();
        }

        @Test
        void onlyTheExposedPortIsReachable(@Sandboxed(exposeHostPorts = 38917) Container c) {
            pids.add(c.pid());
            String fetch = "import urllib.request, sys\ntry:\n print(urllib.request.urlopen('http://host.sandboxed."
                    + "internal:' + sys.argv[1], timeout=5).read().decode())\nexcept Exception as e:\n print('refused')";
            assertThat(c.exec("python3", "-c", fetch, "38917").stdout()).startsWith("fixedGET / HTTP/1.1");
            int other = hostServer.port();
            assertThat(c.exec("python3", "-c", fetch, Integer.toString(other)).stdout()).isEqualTo("refused\n");
        }
    }

    @Test
    void anExposedHostPortIsReachableAndNoOther() {
        Kit.succeeded(Kit.run(ExposedConstantPort.class), 1);
        Kit.assertNothingLeft(pids);
    }

    /** A fixed UDP host port, exposed with the annotation: a datagram inside reaches it and the reply comes back. */
    static class ExposedUdpPort {
        static DatagramSocket echo;

        @BeforeAll
        static void start() throws IOException {
            echo = new DatagramSocket(38918, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                byte[] buf = new byte[2048];
                while (!echo.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        echo.receive(p);
                        echo.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "udp-echo");
            t.setDaemon(true);
            t.start();
        }

        @AfterAll
        static void stop() {
            echo.close();
        }

        @Test
        void aDatagramIsAnswered(@Sandboxed(exposeHostUdpPorts = 38918) Container c) {
            pids.add(c.pid());
            String send = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)\n"
                    + "s.sendto(b'ping', ('host.sandboxed.internal', 38918)); print(s.recvfrom(100)[0].decode())";
            ExecResult r = c.exec("python3", "-c", send);
            assertThat(r.stdout()).as(r.tail(5)).isEqualTo("ping\n");
        }
    }

    @Test
    void anExposedUdpHostPortAnswers() {
        Kit.succeeded(Kit.run(ExposedUdpPort.class), 1);
        Kit.assertNothingLeft(pids);
    }

    @Sandboxed(command = {"sh", "-c", "echo serving nothing; exec sleep 600"}, publish = {"18095", "127.0.0.1:0:18096/udp"},
            waitFor = "http:18095/ready", waitTimeout = "1s")
    static class NeverAnswers {
        @Test
        void test(Container c) {
            pids.add(c.pid());
        }
    }

    @Test
    void aFailedHttpWaitNamesTheUrlAndTheDiagnosticsTheMappings() {
        Throwable t = Kit.onlyFailure(Kit.run(NeverAnswers.class));
        assertThat(t).isInstanceOf(ReadinessException.class)
                .hasMessageContaining("for an HTTP GET of /ready on port 18095 to answer 200: timed out after 1.0 s")
                .hasMessageMatching("(?s).*last try at http://127\\.0\\.0\\.1:\\d+/ready: .*")
                .hasMessageContaining("serving nothing");
        assertThat(pids).as("the body did not run").isEmpty();
        assertThat(Kit.diagnostics(t)).containsPattern("\npublished 127\\.0\\.0\\.1:\\d+ -> 18095/tcp\n")
                .containsPattern("\npublished 127\\.0\\.0\\.1:\\d+ -> 18096/udp\n");
        Kit.assertNothingLeft(List.of());
    }
}
