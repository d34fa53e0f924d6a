package dev.sandboxed.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A registry written for the auth and tampering tests: it serves one OCI layout over the distribution API and guards it
 * the way Docker Hub does (a Bearer challenge naming a token endpoint, which may itself want basic credentials) or
 * with plain basic auth, and can serve a layer with one byte changed. One request per connection.
 */
public final class FakeRegistry implements AutoCloseable {
    public enum Auth { BEARER, BASIC }

    private static final String TOKEN = "tok-" + Long.toHexString(System.nanoTime());
    private final ServerSocket server;
    private final Path layout;
    private final Auth auth;
    private final String basicCredentials;
    private volatile boolean corruptLayers;
    /** The query strings the token endpoint was asked with. */
    private volatile String identityToken;
    public final List<String> tokenRequests = new CopyOnWriteArrayList<>();

    /** {@code userPassword} "USER:PASSWORD" guards the token endpoint (BEARER) or everything (BASIC); null: none. */
    public FakeRegistry(Path layout, Auth auth, String userPassword) throws IOException {
        this.layout = layout;
        this.auth = auth;
        this.basicCredentials = userPassword == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8));
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::serve, "fake-registry");
        t.setDaemon(true);
        t.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The refresh token the token endpoint accepts in a POST (an identity token); null: none. */
    public void identityToken(String value) {
        identityToken = value;
    }

    public void corruptLayers(boolean value) {
        corruptLayers = value;
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                handle(s);
            } catch (IOException e) {
                // closed, or a client that went away
            }
        }
    }

    private void handle(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        String requestLine = in.readLine();
        if (requestLine == null) {
            return;
        }
        Map<String, String> headers = new HashMap<>();
        for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        String target = requestLine.split(" ")[1];
        String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        String authorization = headers.getOrDefault("authorization", "");
        OutputStream out = s.getOutputStream();
        if (path.equals("/token") && requestLine.startsWith("POST ")) {
            // The OAuth2 refresh-token exchange a client with an identity token makes.
            char[] body = new char[Integer.parseInt(headers.getOrDefault("content-length", "0"))];
            for (int n = 0; n < body.length; ) {
                int r = in.read(body, n, body.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            String form = new String(body);
            tokenRequests.add("POST " + form);
            if (identityToken == null || !form.contains("grant_type=refresh_token")
                    || !form.contains("refresh_token=" + identityToken)) {
                respond(out, 401, Map.of(), "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad refresh token\"}]}".getBytes());
                return;
            }
            respond(out, 200, Map.of("Content-Type", "application/json"), ("{\"access_token\":\"" + TOKEN + "\"}").getBytes());
            return;
        }
        if (path.equals("/token")) {
            tokenRequests.add(target.substring(target.indexOf('?') + 1));
            if (basicCredentials != null && !basicCredentials.equals(authorization)) {
                respond(out, 401, Map.of(), "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}".getBytes());
                return;
            }
            respond(out, 200, Map.of("Content-Type", "application/json"), ("{\"token\":\"" + TOKEN + "\"}").getBytes());
            return;
        }
        String expected = auth == Auth.BEARER ? "Bearer " + TOKEN : basicCredentials;
        if (expected != null && !expected.equals(authorization)) {
            String repo = path.startsWith("/v2/") && path.contains("/manifests/")
                    ? path.substring(4, path.indexOf("/manifests/")) : "test/busybox";
            String challenge = auth == Auth.BEARER
                    ? "Bearer realm=\"http://" + host() + "/token\",service=\"fake\",scope=\"repository:" + repo + ":pull\""
                    : "Basic realm=\"fake\"";
            respond(out, 401, Map.of("WWW-Authenticate", challenge),
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes());
            return;
        }
        try {
            if (path.contains("/manifests/")) {
                String ref = path.substring(path.lastIndexOf('/') + 1);
                String digest = ref;
                String type = "application/vnd.oci.image.manifest.v1+json";
                if (!ref.startsWith("sha256:")) {
                    JsonNode index = new ObjectMapper().readTree(Files.readAllBytes(layout.resolve("index.json")));
                    digest = null;
                    for (JsonNode m : index.path("manifests")) {
                        if (ref.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                            digest = m.path("digest").asText();
                            type = m.path("mediaType").asText();
                        }
                    }
                    if (digest == null) {
                        respond(out, 404, Map.of(), "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes());
                        return;
                    }
                }
                respond(out, 200, Map.of("Content-Type", type, "Docker-Content-Digest", digest), blob(digest));
            } else if (path.contains("/blobs/")) {
                byte[] data = blob(path.substring(path.lastIndexOf('/') + 1));
                if (corruptLayers && data.length > 1000) {
                    data[data.length / 2] ^= 1;
                }
                respond(out, 200, Map.of("Content-Type", "application/octet-stream"), data);
            } else {
                respond(out, 200, Map.of(), "{}".getBytes());
            }
        } catch (NoSuchFileException e) {
            respond(out, 404, Map.of(), "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}".getBytes());
        }
    }

    private byte[] blob(String digest) throws IOException {
        return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())));
    }

    private static void respond(OutputStream out, int status, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
