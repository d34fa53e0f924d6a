package dev.sandboxed.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/**
 * The Testcontainers flow without a daemon: a server started in a sandbox before the test, ready once it answers
 * HTTP, and reached from the test through a published port on the host's loopback.
 */
class PublishedPortTest {
    private static final String SERVER = "mkdir -p /tmp/www && echo '{\"status\":\"up\"}' > /tmp/www/health.json"
            + " && exec python3 -m http.server 8080 --bind 127.0.0.1 --directory /tmp/www";

    @Test
    void reachesAServiceThroughItsMappedPort(@Sandboxed(command = {"sh", "-c", SERVER}, publish = "8080",
            waitFor = "http:8080/health.json") Container web) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(web.url(8080, "/health.json")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"status\":\"up\"}\n");
        // The port the test reached is a host port; inside, the server listens on 8080 of the sandbox's own network.
        assertThat(web.host()).isEqualTo("127.0.0.1");
        web.mainProcess().awaitLine("\"GET /health.json HTTP/1.1\" 200", Duration.ofSeconds(5));
    }
}
