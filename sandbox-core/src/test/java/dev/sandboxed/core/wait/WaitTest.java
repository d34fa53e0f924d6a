package dev.sandboxed.core.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.Images;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.image.Healthcheck;
import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.ServiceImages;

/** Every readiness wait against real processes in real sandboxes. */
@RequiresSandbox
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WaitTest {
    /** Listens on {@code sys.argv[1]} at {@code sys.argv[2]} (0.0.0.0 or ::) after a pause, then serves one client. */
    private static final String SERVER = """
            import socket, sys, time
            print('starting', flush=True); time.sleep(0.7)
            s = socket.socket(socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[2], int(sys.argv[1]))); s.listen()
            c, _ = s.accept(); c.sendall(b'hello\\n'); c.close(); time.sleep(60)
            """;
    /** Connects once, without retrying: fails unless something listens already. */
    private static final String CLIENT = """
            import socket, sys
            c = socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=5); print(c.recv(100).decode().strip())
            """;

    private Sandbox sandbox;

    private Sandbox sandbox(SandboxSpec spec) {
        sandbox = Sandbox.start(spec);
        return sandbox;
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private ProcessLog spawn(String... command) {
        return ProcessLog.follow(sandbox.spawn(ProcessSpec.of(command)));
    }

    @Test
    void aPortWaitReturnsOnceTheServerListens() {
        sandbox(SandboxSpec.defaults());
        for (String address : List.of("127.0.0.1", "::1")) {
            String port = address.equals("::1") ? "18086" : "18084";
            ProcessLog server = spawn("python3", "-c", SERVER, port, address);
            Wait.forListeningPort(Integer.parseInt(port)).awaitOn(sandbox, server);
            // One connection attempt, no retry: it succeeds only if the socket listened when the wait returned.
            ExecResult client = sandbox.exec("python3", "-c", CLIENT, port, address);
            assertThat(client.stdout()).as(client.toString()).isEqualTo("hello\n");
            assertThat(server.linesFrom(0)).containsExactly("starting");
        }
    }

    @Test
    void aPortWaitWithoutAProcessWatchesTheSandbox() {
        sandbox(SandboxSpec.defaults());
        sandbox.spawn(ProcessSpec.of("sh", "-c", "sleep 0.5; exec busybox nc -l -p 18085 -e echo hi"));
        Wait.forListeningPort(18085).awaitOn(sandbox);
        assertThat(sandbox.exec("busybox", "nc", "127.0.0.1", "18085").stdout()).isEqualTo("hi\n");
    }

    /** A python3 http.server on {@code port} serving /tmp/www (with index.html and health.txt), after {@code delay}. */
    private ProcessLog httpServer(int port, String delay) {
        return spawn("sh", "-c", "mkdir -p /tmp/www && echo ok > /tmp/www/health.txt && echo home > /tmp/www/index.html"
                + " && sleep " + delay + " && exec python3 -m http.server " + port + " --bind 127.0.0.1 --directory /tmp/www");
    }

    @Test
    void anHttpWaitReturnsOnceTheServerAnswersThroughThePublishedPort() throws Exception {
        sandbox(SandboxSpec.builder().publish(PortMapping.tcp(18090)).build());
        // The server starts late: the first tries find nothing (the mapping exists, nothing listens behind it).
        ProcessLog server = httpServer(18090, "0.7");
        Wait.forHttp("/health.txt").forPort(18090).forResponsePredicate(body -> body.equals("ok\n")).awaitOn(sandbox, server);
        // One request, no retry: it succeeds only if the server answered when the wait returned.
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://" + sandbox.host() + ":" + sandbox.mappedPort(18090) + "/index.html")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("home\n");
        // Without forPort, the only published TCP port is asked; HEAD and a set of statuses.
        Wait.forHttp("/missing").withMethod("HEAD").forStatusCode(404, 410).awaitOn(sandbox);
    }

    @Test
    void anHttpWaitLeavesNoConnectionOpenForAServerThatServesOneAtATime() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "Java 17's HttpClient cannot close its pooled connections");
        sandbox(SandboxSpec.builder().publish(PortMapping.tcp(18096)).build());
        String oneAtATime = "import http.server as h\n" // keeps each connection open (HTTP/1.1) and serves only it
                + "h.SimpleHTTPRequestHandler.protocol_version = 'HTTP/1.1'\n"
                + "h.HTTPServer(('127.0.0.1', 18096), h.SimpleHTTPRequestHandler).serve_forever()\n";
        ProcessLog server = spawn("sh", "-c", "mkdir -p /tmp/www && echo home > /tmp/www/index.html && cd /tmp/www"
                + " && exec python3 -c \"$0\"", oneAtATime);
        Wait.forHttp("/index.html").forPort(18096).awaitOn(sandbox, server);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://" + sandbox.host() + ":" + sandbox.mappedPort(18096) + "/index.html")).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).as("the test's first request, served once the wait let go").isEqualTo("home\n");
    }

    @Test
    void anHttpWaitAsksThePortOnItsOwnMappingsAddress() {
        // The first mapping listens on 127.0.0.2, the waited-for one on 127.0.0.1: host() names only the first.
        sandbox(SandboxSpec.builder().publish(PortMapping.tcp(18094).withHostAddress("127.0.0.2"), PortMapping.tcp(18095))
                .build());
        assertThat(sandbox.host()).isEqualTo("127.0.0.2");
        assertThat(sandbox.host(18094)).isEqualTo("127.0.0.2");
        assertThat(sandbox.host(18095)).isEqualTo("127.0.0.1");
        ProcessLog server = httpServer(18095, "0");
        Wait.forHttp("/health.txt").forPort(18095).withTimeout(Duration.ofSeconds(20)).awaitOn(sandbox, server);
    }

    @Test
    void anHttpWaitWithAnotherStatusTimesOutNamingTheUrlAndTheLastStatus() {
        sandbox(SandboxSpec.builder().publish(PortMapping.tcp(18091)).build());
        ProcessLog server = httpServer(18091, "0");
        ReadinessException e = catchThrowableOfType(ReadinessException.class, () -> Wait.forHttp("/nothing-here")
                .forPort(18091).withTimeout(Duration.ofSeconds(2)).awaitOn(sandbox, server));
        String url = "http://127.0.0.1:" + sandbox.mappedPort(18091) + "/nothing-here";
        assertThat(e.getMessage()).contains("for an HTTP GET of /nothing-here on port 18091 to answer 200: timed out after 2.0 s")
                .contains("last answer from " + url + ": status 404").contains("\"GET /nothing-here HTTP/1.1\" 404");
    }

    @Test
    void anHttpsWaitChecksTheCertificateUnlessToldNotTo() {
        sandbox(SandboxSpec.builder().publish(PortMapping.tcp(18093)).build());
        // A self-signed certificate, made in the sandbox with the host's openssl.
        ExecResult cert = sandbox.exec("sh", "-c", "mkdir -p /tmp/tls /tmp/www && echo ok > /tmp/www/health.txt && cd /tmp/tls"
                + " && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout key.pem -out cert.pem");
        assertThat(cert.exitCode()).as(cert.toString()).isZero();
        ProcessLog server = spawn("python3", "-c", """
                import http.server, ssl, functools
                h = functools.partial(http.server.SimpleHTTPRequestHandler, directory='/tmp/www')
                s = http.server.HTTPServer(('127.0.0.1', 18093), h)
                c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('/tmp/tls/cert.pem', '/tmp/tls/key.pem')
                s.socket = c.wrap_socket(s.socket, server_side=True); print('serving', flush=True); s.serve_forever()
                """);
        Wait.forLogLine("serving").awaitOn(sandbox, server);
        // The JVM's trust store does not know the certificate: the handshake fails, try after try.
        ReadinessException e = catchThrowableOfType(ReadinessException.class, () -> Wait.forHttp("/health.txt")
                .usingTls().withTimeout(Duration.ofSeconds(5)).awaitOn(sandbox, server));
        assertThat(e.getMessage()).contains("last try at https://127.0.0.1:" + sandbox.mappedPort(18093) + "/health.txt: SSLHandshakeException");
        Wait.forHttp("/health.txt").allowInsecure().forResponsePredicate(body -> body.equals("ok\n")).awaitOn(sandbox, server);
    }

    @Test
    void anHttpWaitSaysWhenNothingAnswersAndWhenThePortIsNotPublished() {
        sandbox(SandboxSpec.builder().publish(PortMapping.tcp(18092)).build());
        ProcessLog idle = spawn("sh", "-c", "echo idle; sleep 60");
        ReadinessException e = catchThrowableOfType(ReadinessException.class, () -> Wait.forHttp("/")
                .forPort(18092).withTimeout(Duration.ofMillis(800)).awaitOn(sandbox, idle));
        assertThat(e.getMessage()).contains("last try at http://127.0.0.1:" + sandbox.mappedPort(18092) + "/: ")
                .contains("  idle");
        assertThatThrownBy(() -> Wait.forHttp("/").forPort(8080).awaitOn(sandbox, idle))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port 8080/tcp is not published, so an HTTP wait cannot reach it; publish it"
                        + " (SandboxSpec.Builder.publish(PortMapping.tcp(8080))) or wait with Wait.forListeningPort(8080)");
        assertThatThrownBy(() -> Wait.forHttp("no-slash")).hasMessageContaining("does not start with /");
        assertThatThrownBy(() -> Wait.forHttp("/").forStatusCode(700)).hasMessage("status code 700 is not between 100 and 599");
        assertThat(Wait.forHttp("/h").forPort(80).usingTls().forStatusCode(200, 204))
                .hasToString("an HTTPS GET of /h on port 80 to answer 200 or 204");
    }

    @Test
    void aLogWaitWaitsForTheNthMatchOnEitherStream() {
        sandbox(SandboxSpec.defaults());
        ProcessLog log = spawn("sh", "-c", "echo noise; for i in 1 2 3 4; do echo tick $i; sleep 0.2; done >&2; echo done; sleep 60");
        Wait.forLogLine("^tick \\d$").times(3).awaitOn(sandbox, log);
        assertThat(log.linesFrom(0)).contains("noise", "tick 1", "tick 2", "tick 3");
        // The next match after a point: only lines that come later count.
        Wait.forLogLine("tick|done").afterLine(log.lineCount()).awaitOn(sandbox, log);
        Wait.forLogLine("done").awaitOn(sandbox, log);
        assertThat(log.stderr()).startsWith("tick 1\ntick 2\ntick 3\ntick 4\n");
        assertThat(log.stdout()).isEqualTo("noise\ndone\n");
    }

    @Test
    void aProcessLogKeepsTheLastLinesAndCountsThemAll() {
        sandbox(SandboxSpec.defaults());
        ProcessLog log = spawn("sh", "-c", "seq 1 20000; printf 'no newline\r\nlast'");
        Wait.forLogLine("^last$").awaitOn(sandbox, log);
        assertThat(log.lineCount()).isEqualTo(20002);
        assertThat(log.linesFrom(0)).hasSize(10_000).startsWith("10003");
        assertThat(log.tail(3)).containsExactly("20000", "no newline", "last");
        assertThat(log.stdout()).startsWith("1\n2\n").endsWith("no newline\r\nlast");
        // A log-line wait needs a process's output to read.
        assertThatThrownBy(() -> Wait.forLogLine("x").awaitOn(sandbox)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs the output of a process");
    }

    @Test
    void aProcessLogCutsLongLinesAndCapsWhatItKeeps() {
        sandbox(SandboxSpec.defaults());
        // 300 lines of 1 MiB: cut to 64 KiB each they still come to more than the 16 MiB kept of all lines.
        ProcessLog log = spawn("python3", "-c", "import sys\nfor i in range(300): sys.stdout.write('%03d' % i + 'x' * 1048573 + '\\n')\n"
                + "print('ready', flush=True)");
        Wait.forLogLine("^ready$").awaitOn(sandbox, log);
        assertThat(log.lineCount()).isEqualTo(301);
        assertThat(log.keptLineBytes()).isPositive().isLessThanOrEqualTo(ProcessLog.MAX_LINES_BYTES);
        List<String> kept = log.linesFrom(0);
        assertThat(kept.size()).isBetween(200, 299);
        assertThat(kept.get(kept.size() - 2)).startsWith("299xxx").endsWith("x [... " + (1048576 - 65536) + " bytes cut]")
                .hasSize(65536 + " [... 983040 bytes cut]".length());
        assertThat(kept).last().isEqualTo("ready");
        // The oldest lines went first; their numbers still count.
        assertThat(kept.get(0)).startsWith(String.format("%03d", 301 - kept.size()));
    }

    @Test
    void aCommandWaitRetriesUntilItSucceeds() {
        sandbox(SandboxSpec.defaults());
        sandbox.spawn(ProcessSpec.of("sh", "-c", "sleep 0.6; touch /tmp/ready; sleep 60"));
        assertThat(sandbox.exec("test", "-e", "/tmp/ready").exitCode()).isEqualTo(1);
        Wait.forCommand("test", "-e", "/tmp/ready").awaitOn(sandbox);
        assertThat(sandbox.exec("test", "-e", "/tmp/ready").exitCode()).isZero();
    }

    @Test
    void aHealthCheckPassesOnceItsTestDoes() {
        sandbox(SandboxSpec.defaults());
        ProcessLog log = spawn("sh", "-c", "sleep 0.6; touch /tmp/ok; sleep 60");
        Healthcheck check = new Healthcheck(List.of("CMD-SHELL", "test -e /tmp/ok"), Duration.ofMillis(100),
                Duration.ofSeconds(5), Duration.ofSeconds(30), 1);
        Wait.forHealthcheck(check).awaitOn(sandbox, log);
        assertThat(sandbox.exec("test", "-e", "/tmp/ok").exitCode()).isZero();
    }

    @Test
    void aHealthCheckFailingRetriesTimesAfterItsStartPeriodIsUnhealthy() {
        sandbox(SandboxSpec.defaults());
        ProcessLog log = spawn("sh", "-c", "echo up; sleep 60");
        Healthcheck check = new Healthcheck(List.of("CMD", "sh", "-c", "echo not yet >&2; exit 1"), Duration.ofMillis(50),
                Duration.ofSeconds(5), Duration.ZERO, 3);
        ReadinessException e = catchThrowableOfType(ReadinessException.class, () -> Wait.forHealthcheck(check).awaitOn(sandbox, log));
        assertThat(e.getMessage()).contains("the health check [CMD, sh, -c, echo not yet >&2; exit 1]",
                "unhealthy after 3 failed checks in a row", "last try: exited with code 1: not yet", "running", "  up");
    }

    @Test
    void theImagesHealthCheckIsRunAsDockerDoes(@TempDir Path cache) throws Exception {
        Path layout = ServiceImages.layout(Path.of("target/wait-layout"));
        ServiceImages.tag(layout, "health", "sleep 0.6; touch /tmp/healthy; echo serving; sleep 60",
                List.of("CMD-SHELL", "test -e /tmp/healthy"), Duration.ofMillis(100), 30);
        Image image = Images.builder().cacheDirectory(cache).build().pull("oci:" + layout.toAbsolutePath() + ":health");
        assertThat(image.config().healthcheck()).isPresent();
        sandbox(SandboxSpec.builder().image(image).build());
        ProcessLog main = ProcessLog.follow(sandbox.runMain(ProcessSpec.builder(
                image.config().command(Optional.empty(), List.of())).build()));
        Wait.forHealthcheck().awaitOn(sandbox, main);
        assertThat(sandbox.exec("test", "-e", "/tmp/healthy").exitCode()).isZero();

        // Without an image (or one without a health check) there is nothing to run: it fails at once, saying so.
        try (Sandbox plain = Sandbox.start(SandboxSpec.defaults())) {
            assertThatThrownBy(() -> Wait.forHealthcheck().awaitOn(plain)).isInstanceOf(ReadinessException.class)
                    .hasMessageContaining("not an image with a HEALTHCHECK");
        }
    }

    @Test
    void anImageWithoutAnIntervalIsRetriedEverySecondUntilHealthy(@TempDir Path cache) throws Exception {
        Path layout = ServiceImages.layout(Path.of("target/wait-layout"));
        // No interval: Docker's 30 s. The first try comes before the marker and fails; the next must not wait 30 s.
        ServiceImages.tag(layout, "health-slow", "sleep 1.5; touch /tmp/healthy; sleep 60",
                List.of("CMD-SHELL", "echo try >> /tmp/tries; test -e /tmp/healthy"), Duration.ZERO, 0);
        Image image = Images.builder().cacheDirectory(cache).build().pull("oci:" + layout.toAbsolutePath() + ":health-slow");
        assertThat(image.config().healthcheck().orElseThrow().interval()).isZero();
        sandbox(SandboxSpec.builder().image(image).build());
        ProcessLog main = ProcessLog.follow(sandbox.runMain(ProcessSpec.builder(
                image.config().command(Optional.empty(), List.of())).build()));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Wait.forHealthcheck().awaitOn(sandbox, main));
        // It failed at least once (so it retried) and never counted those failures as unhealthy (retries 3 by default).
        String tries = sandbox.exec("cat", "/tmp/tries").stdout();
        assertThat(tries.lines().count()).isBetween(2L, 20L);
    }

    @Test
    void aTimeoutSaysWhatWasAwaitedAndShowsTheLastLinesAndTheState() {
        sandbox(SandboxSpec.defaults());
        ProcessLog log = spawn("sh", "-c", "for i in $(seq 1 25); do echo line $i; done; sleep 60");
        Wait.forLogLine("line 25").awaitOn(sandbox, log);
        ReadinessException e = catchThrowableOfType(ReadinessException.class, () -> Wait.allOf(Wait.forLogLine("line 1$"),
                Wait.forListeningPort(9).withTimeout(Duration.ofMillis(300))).awaitOn(sandbox, log));
        assertThat(e.getMessage()).startsWith("not ready: waited ")
                // The step of allOf that failed is named, the ones met before it are not.
                .contains(" for a TCP socket listening on port 9: timed out after 0.3 s; nothing listens on it yet\n")
                .contains("process `sh -c for i in $(seq 1 25); do echo line $i; done; sleep 60`: running")
                .contains("last 20 output lines:\n  line 6\n").endsWith("  line 25");
        assertThat(e.lastLines()).hasSize(20).doesNotContain("line 5");
        assertThat(e.awaited()).contains("port 9");
    }

    @Test
    void aProcessThatExitsEarlyFailsTheWaitAtOnce() {
        sandbox(SandboxSpec.defaults());
        ProcessLog log = spawn("sh", "-c", "echo starting; echo 'fatal: no config' >&2; exit 3");
        // A minute to wait, but the process is gone: the failure says so instead of timing out.
        ReadinessException e = catchThrowableOfType(ReadinessException.class, () -> Wait.forListeningPort(5432).awaitOn(sandbox, log));
        assertThat(e.getMessage()).contains("the process ended first: it exited with code 3")
                .doesNotContain("timed out").contains("fatal: no config");
        assertThat(e.processState()).endsWith("exited with code 3");

        // A line printed just before the exit still counts.
        ProcessLog last = spawn("sh", "-c", "echo ready; exit 0");
        Wait.forLogLine("ready").awaitOn(sandbox, last);
    }

    @Test
    void theMainProcessEndingEndsTheWait() {
        sandbox(SandboxSpec.defaults());
        ProcessLog main = ProcessLog.follow(sandbox.runMain(ProcessSpec.of("sh", "-c", "echo bye; exit 4")));
        assertThatThrownBy(() -> Wait.forCommand("false").awaitOn(sandbox, main)).isInstanceOf(ReadinessException.class)
                .hasMessageContaining("exited with code 4").hasMessageContaining("bye").hasMessageNotContaining("timed out");
    }

    @Test
    void badArgumentsAreRefusedWhenTheWaitIsMade() {
        assertThatThrownBy(() -> Wait.forListeningPort(0)).hasMessage("port 0 is not between 1 and 65535");
        assertThatThrownBy(() -> Wait.forLogLine("x").times(0)).hasMessage("times 0 is not positive");
        assertThatThrownBy(() -> Wait.forCommand()).hasMessageContaining("no command given");
        assertThatThrownBy(() -> Wait.forListeningPort(1).withTimeout(Duration.ZERO)).hasMessage("timeout PT0S is not positive");
        assertThatThrownBy(() -> Wait.forHealthcheck(new Healthcheck(List.of("NONE"), Duration.ZERO, Duration.ZERO,
                Duration.ZERO, 0))).hasMessageContaining("(NONE disables it)");
        assertThat(Wait.forLogLine("ready").times(2)).hasToString("2 lines matching /ready/ on stdout or stderr");
    }
}
