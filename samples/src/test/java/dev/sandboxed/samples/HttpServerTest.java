package dev.sandboxed.samples;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.ContainerProcess;
import dev.sandboxed.junit.Sandboxed;

/**
 * Starts a server in the background and exercises it from a second process in the same sandbox, over the
 * sandbox's own loopback: no port on the host is used, so tests like this can run in parallel.
 */
@Sandboxed
class HttpServerTest {

    @Test
    void servesAFileToAClientInTheSameSandbox(Container sandbox) {
        sandbox.writeString("/tmp/www/index.html", "<h1>hello from the sandbox</h1>\n");
        ContainerProcess server = sandbox.start("python3", "-u", "-m", "http.server", "--bind", "127.0.0.1",
                "--directory", "/tmp/www", "8080");
        server.awaitLine("Serving HTTP on 127.0.0.1 port 8080", Duration.ofSeconds(10));

        assertThat(sandbox.exec("busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html"))
                .succeeded().hasStdout("<h1>hello from the sandbox</h1>");
        assertThat(sandbox.exec("busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/missing.html"))
                .failed().stderrContains("404");

        // The server logged both requests; the second exec really talked to it.
        server.awaitLine("\"GET /missing.html HTTP/1.1\" 404", Duration.ofSeconds(5));
        assertThat(server.stop(Duration.ofSeconds(2))).stderrContains("GET /index.html");
    }
}
