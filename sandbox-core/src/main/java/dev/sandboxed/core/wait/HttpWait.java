package dev.sandboxed.core.wait;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.net.ssl.SSLContext;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.spec.PortMapping;

/**
 * An HTTP(S) request to a published port of the sandbox, repeated until it answers with an expected status (200
 * unless {@link #forStatusCode} says otherwise, as in Testcontainers) and, if one is given, a body the predicate
 * accepts; see {@link Wait#forHttp}. It goes through the port's mapping on the host ({@link Sandbox#host()} and
 * {@link Sandbox#mappedPort(int)}), as the test will: the port must be published. Redirects are not followed.
 */
public final class HttpWait extends WaitStrategy {
    private static final long PAUSE_NANOS = 100_000_000L;
    /** The longest one try may take: a server that accepts but never answers must not use up the whole wait. */
    private static final Duration TRY_TIMEOUT = Duration.ofSeconds(5);

    private final String path;
    private final int port;
    private final int[] statuses;
    private final Predicate<String> body;
    private final String method;
    private final boolean tls;
    private final boolean insecure;

    HttpWait(String path, int port, int[] statuses, Predicate<String> body, String method, boolean tls,
             boolean insecure, Duration timeout) {
        super(timeout);
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("path '" + path + "' does not start with / or has spaces or control"
                    + " characters");
        }
        if (port != 0 && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
        }
        for (int s : statuses) {
            if (s < 100 || s > 599) {
                throw new IllegalArgumentException("status code " + s + " is not between 100 and 599");
            }
        }
        if (statuses.length == 0) {
            throw new IllegalArgumentException("no status code given");
        }
        if (!method.matches("[A-Z]+")) {
            throw new IllegalArgumentException("method '" + method + "' is not an HTTP method such as GET or HEAD");
        }
        this.path = path;
        this.port = port;
        this.statuses = statuses.clone();
        this.body = body;
        this.method = method;
        this.tls = tls;
        this.insecure = insecure;
    }

    /** The sandbox port to ask; may be left out when the sandbox publishes exactly one TCP port. */
    public HttpWait forPort(int containerPort) {
        return new HttpWait(path, containerPort, statuses, body, method, tls, insecure, timeout());
    }

    /** The statuses that count as ready (200 by default); any one of them. */
    public HttpWait forStatusCode(int... codes) {
        return new HttpWait(path, port, Objects.requireNonNull(codes, "codes"), body, method, tls, insecure, timeout());
    }

    /** Also requires the response body (read as UTF-8) to satisfy {@code predicate}. */
    public HttpWait forResponsePredicate(Predicate<String> predicate) {
        return new HttpWait(path, port, statuses, Objects.requireNonNull(predicate, "predicate"), method, tls, insecure,
                timeout());
    }

    /** The request method, {@code GET} by default; sent without a body. */
    public HttpWait withMethod(String method) {
        return new HttpWait(path, port, statuses, body, Objects.requireNonNull(method, "method"), tls, insecure, timeout());
    }

    /** HTTPS instead of HTTP, checking the server's certificate against the JVM's trust store. */
    public HttpWait usingTls() {
        return new HttpWait(path, port, statuses, body, method, true, insecure, timeout());
    }

    /** HTTPS accepting any certificate and host name: for a test server's self-signed certificate only. */
    public HttpWait allowInsecure() {
        return new HttpWait(path, port, statuses, body, method, true, true, timeout());
    }

    @Override
    public HttpWait withTimeout(Duration timeout) {
        return new HttpWait(path, port, statuses, body, method, tls, insecure, timeout);
    }

    @Override
    void await(WaitTarget target, long deadline) throws InterruptedException {
        Sandbox sandbox = target.sandbox();
        int containerPort = port != 0 ? port : onlyPublishedPort(sandbox);
        if (sandbox.spec().publishedPorts().stream().noneMatch(m -> m.containerPort() == containerPort
                && m.transport() == PortMapping.Transport.TCP)) {
            throw new IllegalArgumentException("port " + containerPort + "/tcp is not published, so an HTTP wait cannot"
                    + " reach it; publish it (SandboxSpec.Builder.publish(PortMapping.tcp(" + containerPort + ")))"
                    + " or wait with Wait.forListeningPort(" + containerPort + ")");
        }
        String address = sandbox.host(containerPort);
        String host = address.contains(":") ? "[" + address + "]" : address;
        URI uri = URI.create((tls ? "https" : "http") + "://" + host + ":" + sandbox.mappedPort(containerPort) + path);
        HttpClient client = client();
        try {
            poll(target, deadline, uri, client);
        } finally {
            closeConnections(client);
        }
    }

    /**
     * Closes the client's pooled connection on Java 21+ (where HttpClient is AutoCloseable). Kept open, a server that
     * serves one connection at a time would wait on the wait's idle connection while the test's first request hung.
     * Java 17 has no way to close it: the JDK closes it after its keep-alive timeout or once the client is collected.
     */
    private static void closeConnections(HttpClient client) {
        if (client instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // closing what the wait no longer needs: nothing to report
            }
        }
    }

    private void poll(WaitTarget target, long deadline, URI uri, HttpClient client) throws InterruptedException {
        String[] last = {null};
        target.poll(this, deadline, PAUSE_NANOS, () -> {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Duration tryTimeout = Duration.ofNanos(Math.min(left, TRY_TIMEOUT.toNanos()));
            HttpRequest request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                    .timeout(tryTimeout).build();
            try {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                boolean statusOk = IntStream.of(statuses).anyMatch(s -> s == response.statusCode());
                boolean bodyOk = statusOk && (body == null || body.test(response.body()));
                last[0] = "last answer from " + uri + ": status " + response.statusCode()
                        + (statusOk && !bodyOk ? ", body not accepted by the predicate" : "");
                return bodyOk;
            } catch (IOException e) {
                // A try cut short by the deadline says less than the answer before it.
                boolean cut = e instanceof HttpTimeoutException && tryTimeout.compareTo(TRY_TIMEOUT) < 0;
                if (!cut || last[0] == null) {
                    last[0] = "last try at " + uri + ": " + describe(e);
                }
                return false;
            }
        }, () -> last[0]);
    }

    private static int onlyPublishedPort(Sandbox sandbox) {
        var tcp = sandbox.spec().publishedPorts().stream().filter(m -> m.transport() == PortMapping.Transport.TCP).toList();
        if (tcp.size() != 1) {
            throw new IllegalArgumentException("an HTTP wait without forPort needs exactly one published TCP port, but "
                    + "the sandbox publishes " + (tcp.isEmpty() ? "none" : tcp) + "; say which with forPort(PORT)");
        }
        return tcp.get(0).containerPort();
    }

    private HttpClient client() {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(TRY_TIMEOUT);
        if (insecure) {
            b.sslContext(trustAll());
        }
        return b.build();
    }

    /**
     * Trusts every certificate; being an X509ExtendedTrustManager that checks nothing, it also skips the host name
     * check the JDK's client would otherwise make.
     */
    private static SSLContext trustAll() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS context: " + e.getMessage(), e);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        if ((message == null || message.isEmpty()) && cause != null) {
            message = cause.getMessage();
        }
        return e.getClass().getSimpleName() + (message == null || message.isEmpty() ? "" : " (" + message + ")");
    }

    /** The URL path asked for. */
    public String path() {
        return path;
    }

    /** The sandbox port asked, if set. */
    public Optional<Integer> port() {
        return port == 0 ? Optional.empty() : Optional.of(port);
    }

    @Override
    public String toString() {
        String codes = Arrays.stream(statuses).mapToObj(Integer::toString).collect(Collectors.joining(" or "));
        return "an HTTP" + (tls ? "S" : "") + " " + method.toUpperCase(Locale.ROOT) + " of " + path
                + (port == 0 ? " on the published port" : " on port " + port) + " to answer " + codes
                + (body == null ? "" : " with a body the predicate accepts") + (insecure ? " (any certificate)" : "");
    }

    private static final class TrustAll extends javax.net.ssl.X509ExtendedTrustManager {
        private static final java.security.cert.X509Certificate[] NONE = new java.security.cert.X509Certificate[0];

        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType, java.net.Socket s) {
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType, java.net.Socket s) {
        }

        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType,
                                       javax.net.ssl.SSLEngine e) {
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType,
                                       javax.net.ssl.SSLEngine e) {
        }

        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
        }

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return NONE;
        }
    }
}
