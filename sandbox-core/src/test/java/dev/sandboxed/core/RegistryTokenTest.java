package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * The Docker Hub flow against the real registry: docker-registry with {@code auth: token} sends clients to a token
 * server, written here on a plain socket (one request per connection), which checks basic credentials and answers a JWT signed (RS256)
 * with a key whose self-signed certificate (made by keytool) is the registry's root bundle; the JWT carries it in
 * {@code x5c}, as the registry's verifier accepts.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RegistryTokenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVICE = "sandboxed-test-registry";
    private static final String ISSUER = "sandboxed-test-issuer";
    private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("carol:t0ken-pw".getBytes(
            StandardCharsets.UTF_8));
    @TempDir
    static Path keys;
    static ServerSocket tokenServer;
    static TestRegistry.Secured registry;
    static PrivateKey key;
    static X509Certificate cert;
    static final List<String> tokenQueries = new CopyOnWriteArrayList<>();
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        TestRegistry base = TestRegistry.get();
        Path store = keys.resolve("signer.p12");
        TestRegistry.run(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keyalg", "RSA", "-keysize", "2048", "-alias", "signer", "-dname", "CN=sandboxed test token signer",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        key = (PrivateKey) ks.getKey("signer", "changeit".toCharArray());
        cert = (X509Certificate) ks.getCertificate("signer");
        Path bundle = Files.writeString(keys.resolve("root.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        tokenServer = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread serving = new Thread(RegistryTokenTest::serve, "token-server");
        serving.setDaemon(true);
        serving.start();
        registry = base.withAuth(List.of(
                "auth:",
                "  token:",
                "    realm: http://127.0.0.1:" + tokenServer.getLocalPort() + "/token",
                "    service: " + SERVICE,
                "    issuer: " + ISSUER,
                "    rootcertbundle: " + bundle));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (tokenServer != null) {
            try {
                tokenServer.close();
            } catch (IOException e) {
                // closing a listening socket
            }
        }
    }

    private static void serve() {
        while (!tokenServer.isClosed()) {
            try (Socket s = tokenServer.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                String requestLine = in.readLine();
                String authorization = null;
                for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                    if (line.regionMatches(true, 0, "Authorization:", 0, 14)) {
                        authorization = line.substring(14).strip();
                    }
                }
                if (requestLine != null) {
                    token(requestLine.split(" ")[1], authorization, s.getOutputStream());
                }
            } catch (Exception e) {
                // closed, or a client that went away
            }
        }
    }

    /** GET /token?service=...&scope=repository:NAME:pull, basic credentials required, as Docker Hub's auth server. */
    private static void token(String target, String authorization, OutputStream out) throws Exception {
        String query = target.substring(target.indexOf('?') + 1);
        tokenQueries.add(query);
        if (!BASIC.equals(authorization)) {
            respond(out, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad user or password\"}]}");
            return;
        }
        String scope = "";
        for (String param : query.split("&")) {
            if (param.startsWith("scope=")) {
                scope = URLDecoder.decode(param.substring(6), StandardCharsets.UTF_8);
            }
        }
        String[] parts = scope.split(":");
        respond(out, 200, JSON.writeValueAsString(Map.of("token", jwt(parts[1], parts[2]))));
    }

    private static void respond(OutputStream out, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + (status == 200 ? " OK" : " Unauthorized") + "\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static String jwt(String repository, String actions) throws Exception {
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        ObjectNode header = JSON.createObjectNode().put("typ", "JWT").put("alg", "RS256");
        header.putArray("x5c").add(Base64.getEncoder().encodeToString(cert.getEncoded()));
        long now = Instant.now().getEpochSecond();
        ObjectNode claims = JSON.createObjectNode().put("iss", ISSUER).put("sub", "carol").put("aud", SERVICE)
                .put("exp", now + 300).put("nbf", now - 10).put("iat", now).put("jti", UUID.randomUUID().toString());
        ObjectNode access = claims.putArray("access").addObject().put("type", "repository").put("name", repository);
        for (String action : actions.split(",")) {
            access.withArray("actions").add(action);
        }
        String signed = url.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + url.encodeToString(JSON.writeValueAsBytes(claims));
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initSign(key);
        rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + url.encodeToString(rs256.sign());
    }

    private Images.Builder images() {
        return Images.builder().cacheDirectory(tmp.resolve("cache")).dockerConfig(tmp.resolve("none.json"))
                .credentialHelperPath("");
    }

    @Test
    void pullsWithATokenTheTokenServerSignedForTheScope() {
        tokenQueries.clear();
        assertThat(images().credentials(registry.host(), "carol", "t0ken-pw").build()
                .pull(registry.host() + "/test/busybox:1").layers()).hasSize(2);
        assertThat(tokenQueries).first().asString()
                .contains("service=" + SERVICE, "scope=repository%3Atest%2Fbusybox%3Apull");
    }

    @Test
    void theTokenServersRefusalNamesItsAnswerAndTheFix() {
        assertThatThrownBy(() -> images().credentials(registry.host(), "carol", "wrong").build()
                .pull(registry.host() + "/test/busybox:1"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("answered 401").hasMessageContaining("bad user or password")
                .hasMessageContaining("docker login " + registry.host());
    }
}
