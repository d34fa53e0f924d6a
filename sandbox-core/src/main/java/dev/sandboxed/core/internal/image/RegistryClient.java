package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.image.ImageRef;

/**
 * A client of the OCI distribution API v2, on the JDK's HttpClient: anonymous, basic, and bearer tokens obtained
 * through the {@code WWW-Authenticate} challenge (realm, service, scope), the way Docker Hub and GHCR do it.
 * Registries on the loopback interface are reached over plain HTTP (Docker's rule), every other one over TLS unless
 * it is listed as insecure. Redirects (to blob storage) are followed without the registry's credentials.
 */
public final class RegistryClient implements BlobSource {
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    /** Every request sent, for tests and diagnostics. */
    private static final AtomicLong REQUESTS = new AtomicLong();
    private final HttpClient http;
    private final ImageRef ref;
    private final String base;
    private final RegistryCredentials credentials;
    private String authorization;

    public RegistryClient(ImageRef ref, RegistryCredentials credentials, Set<String> insecureRegistries) {
        this.ref = ref;
        this.credentials = credentials;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).followRedirects(HttpClient.Redirect.NEVER)
                .build();
        String host = ref.registry().equals(ImageRef.DOCKER_HUB) ? "registry-1.docker.io" : ref.registry();
        boolean plain = isLoopback(ref.registry()) || insecureRegistries.contains(ref.registry());
        this.base = (plain ? "http://" : "https://") + host + "/v2/" + ref.repository();
    }

    public static long requestCount() {
        return REQUESTS.get();
    }

    /**
     * Whether a request to {@code target} may carry the registry's credentials: the same scheme and authority as the
     * registry's. A redirect to another host, or from https to plain http on the same one (a proxy that writes its
     * Location headers so), gets none: they would go to someone else, or in clear text.
     */
    static boolean sameOrigin(URI target, URI registry) {
        return target.getScheme().equalsIgnoreCase(registry.getScheme())
                && target.getAuthority().equals(registry.getAuthority());
    }

    /**
     * localhost (in any case, as host names are), 127.0.0.0/8 and ::1, with or without a port: Docker's registries
     * allowed without TLS.
     */
    static boolean isLoopback(String registry) {
        String host = registry.startsWith("[") ? registry.substring(1, registry.indexOf(']'))
                : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // never resolve a name to decide: DNS could point anything at 127.0.0.1
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public Fetched top() throws IOException {
        HttpResponse<InputStream> response = get(URI.create(base + "/manifests/" + ref.manifestReference()), Manifests.ACCEPT);
        byte[] data;
        try (InputStream in = response.body()) {
            data = in.readNBytes(8 << 20);
        }
        String digest = VerifyingInputStream.sha256(data);
        if (ref.digest().isPresent()) {
            VerifyingInputStream.verified(data, ref.digest().get(), "manifest of " + ref);
        }
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        return new Fetched(data, contentType, digest);
    }

    @Override
    public byte[] manifest(String digest) throws IOException {
        try (InputStream in = get(URI.create(base + "/manifests/" + digest), Manifests.ACCEPT).body()) {
            return in.readNBytes(8 << 20);
        }
    }

    @Override
    public InputStream blob(String digest) throws IOException {
        return get(URI.create(base + "/blobs/" + digest), "*/*").body();
    }

    @Override
    public String describe() {
        return ref.registry() + "/" + ref.repository();
    }

    private HttpResponse<InputStream> get(URI uri, String accept) throws IOException {
        boolean challenged = false;
        for (int redirects = 0; redirects < 6; ) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).header("Accept", accept);
            boolean sameHost = sameOrigin(uri, URI.create(base));
            if (authorization != null && sameHost) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> response = send(request.GET().build());
            int status = response.statusCode();
            if (status == 401 && sameHost && !challenged) {
                String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
                response.body().close();
                authorization = authenticate(challenge);
                challenged = true;
                continue;
            }
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                response.body().close();
                uri = uri.resolve(response.headers().firstValue("Location")
                        .orElseThrow(() -> new ImageException("registry " + ref.registry() + " redirected without a Location")));
                redirects++;
                continue;
            }
            if (status / 100 != 2) {
                throw failure(uri, status, response);
            }
            return response;
        }
        throw new ImageException("registry " + ref.registry() + ": too many redirects for " + uri.getPath());
    }

    private HttpResponse<InputStream> send(HttpRequest request) throws IOException {
        REQUESTS.incrementAndGet();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while pulling " + ref);
        } catch (IOException e) {
            String hint = !request.uri().getScheme().equals("https") ? ""
                    : e instanceof SSLHandshakeException ? "; to trust its certificate, add it or its CA to the JVM's"
                    + " trust store (-Djavax.net.ssl.trustStore=FILE); sandboxed.image.insecure-registries means plain"
                    + " HTTP, not unchecked TLS"
                    : "; plain HTTP is used only for loopback registries and those in sandboxed.image.insecure-registries";
            throw new ImageException("registry " + ref.registry() + " cannot be reached (" + request.uri().getScheme()
                    + "): " + e + hint, e);
        }
    }

    /** The Authorization header that answers a challenge: Basic with the credentials, or a Bearer token. */
    private String authenticate(String challenge) throws IOException {
        Optional<RegistryCredentials.Credential> creds = credentials.forRegistry(ref.registry());
        String basic = creds.filter(c -> !c.identityToken()).map(c -> "Basic " + Base64.getEncoder()
                .encodeToString((c.user() + ":" + c.secret()).getBytes(StandardCharsets.UTF_8))).orElse(null);
        if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            if (basic == null) {
                throw new ImageException("registry " + ref.registry() + " answered 401 (" + challenge + ") and asks for a"
                        + " user name and password for " + ref + (creds.isPresent() ? ", but the credentials found are an"
                        + " identity token" : ", and none are configured") + "; run 'docker login " + ref.registry()
                        + "' (credentials are read from Docker's config.json, $DOCKER_CONFIG or ~/.docker, and its credential"
                        + " helpers) or, in code, give them to Images.builder().credentials");
            }
            return basic;
        }
        if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
            throw new ImageException("registry " + ref.registry() + " answered 401 with an unknown challenge '" + challenge + "'");
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            throw new ImageException("registry " + ref.registry() + " sent a Bearer challenge without a realm");
        }
        StringBuilder query = new StringBuilder();
        if (params.containsKey("service")) {
            query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        String scope = params.getOrDefault("scope", "repository:" + ref.repository() + ":pull");
        query.append(query.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        if (!tokenUri.getScheme().equals("https") && !isLoopback(tokenUri.getAuthority())) {
            throw new ImageException("registry " + ref.registry() + " sends for tokens to " + tokenUri.getAuthority()
                    + " over plain HTTP; refused");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(tokenUri).timeout(Duration.ofMinutes(1)).GET();
        if (creds.isPresent() && creds.get().identityToken()) {
            // An identity token is an OAuth2 refresh token: exchanged by a POST, as Docker does.
            String form = query + "&grant_type=refresh_token&client_id=sandboxed&refresh_token="
                    + URLEncoder.encode(creds.get().secret(), StandardCharsets.UTF_8);
            request = HttpRequest.newBuilder(URI.create(realm)).timeout(Duration.ofMinutes(1))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        } else if (basic != null) {
            request.header("Authorization", basic);
        }
        HttpResponse<InputStream> response = send(request.build());
        if (response.statusCode() != 200) {
            throw failure(tokenUri, response.statusCode(), response);
        }
        JsonNode body;
        try (InputStream in = response.body()) {
            body = Manifests.parse(in.readNBytes(1 << 20), "token from " + tokenUri.getAuthority());
        }
        String token = body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new ImageException("the token server " + tokenUri.getAuthority() + " answered without a token");
        }
        return "Bearer " + token;
    }

    private ImageException failure(URI uri, int status, HttpResponse<InputStream> response) throws IOException {
        String detail;
        try (InputStream in = response.body()) {
            String body = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            JsonNode errors = body.startsWith("{") ? Manifests.JSON.readTree(body).path("errors") : null;
            detail = errors != null && errors.size() > 0
                    ? errors.get(0).path("code").asText() + ": " + errors.get(0).path("message").asText()
                    : body.lines().findFirst().orElse("").strip();
        } catch (IOException e) {
            detail = "";
        }
        String hint = switch (status) {
            case 401, 403 -> "; check the credentials (docker login " + ref.registry() + ")";
            case 404 -> "; check the name and tag";
            default -> "";
        };
        return new ImageException("registry " + uri.getAuthority() + " answered " + status + " for " + uri.getPath()
                + " (" + ref + ")" + (detail.isEmpty() ? "" : ": " + detail) + hint);
    }
}
