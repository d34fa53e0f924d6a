package dev.sandboxed.core.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;

import dev.sandboxed.core.internal.image.Manifests;
import dev.sandboxed.core.internal.image.VerifyingInputStream;

/**
 * A real registry on loopback for the image tests: Debian's {@code docker-registry} on a free port with its storage in
 * a temporary directory, started once per JVM (stopped at exit), holding images that umoci and skopeo made from a
 * busybox-static tree. Tests that need it skip, with the reason, where a tool is missing (CI installs them:
 * docker-registry, umoci, skopeo, busybox-static).
 */
public final class TestRegistry {
    public static final List<String> TOOLS = List.of("docker-registry", "umoci", "skopeo", "busybox");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** For the readiness probe of a TLS registry with a self-signed certificate only. */
    private static final SSLContext TRUST_ALL = trustAll();
    private static TestRegistry instance;
    private static String unavailable;

    private final Path work;
    private final Process process;
    private final int port;
    /** The OCI layout the images were built in: {@code busybox} (two layers, the second a whiteout). */
    private final Path layout;

    private TestRegistry(Path work, Process process, int port, Path layout) {
        this.work = work;
        this.process = process;
        this.port = port;
        this.layout = layout;
    }

    /** The running registry, or the test is skipped with the reason it cannot run here. */
    public static synchronized TestRegistry get() {
        if (instance == null && unavailable == null) {
            List<String> missing = TOOLS.stream().filter(t -> find(t) == null).toList();
            if (!missing.isEmpty()) {
                unavailable = "missing " + String.join(", ", missing) + " (apt-get install docker-registry umoci skopeo busybox-static)";
            } else {
                try {
                    instance = start();
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("start the test registry: " + e.getMessage(), e);
                }
            }
        }
        Assumptions.assumeTrue(instance != null, () -> "no test registry: " + unavailable);
        return instance;
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public Path layout() {
        return layout;
    }

    public Path work() {
        return work;
    }

    private static Path find(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    private static TestRegistry start() throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("sandboxed-registry-");
        int port = freePort();
        Process process = serve(work, "registry", "127.0.0.1", port, List.of());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(process);
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory; the system cleans it eventually
            }
        }));
        awaitReady(work, "registry", process, "127.0.0.1", port, 200);
        TestRegistry registry = new TestRegistry(work, process, port, work.resolve("layout"));
        registry.buildImages();
        return registry;
    }

    /**
     * Builds {@code busybox} in the layout with umoci: a busybox tree with /etc/passwd (user app, uid 999), a /work
     * directory and a file to remove, then a second layer whiting it out, and a config with Entrypoint, Cmd, Env,
     * WorkingDir, User and ExposedPorts; pushes it with skopeo as {@code test/busybox:1}.
     */
    private void buildImages() throws IOException, InterruptedException {
        Path root = work.resolve("rootfs");
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("work"));
        Files.copy(find("busybox"), root.resolve("bin/busybox"));
        run(root.resolve("bin/busybox").toString(), "--install", "-s", root.resolve("bin").toString());
        // --install -s makes absolute links to where busybox is now; inside the image it is /bin/busybox.
        try (var links = Files.list(root.resolve("bin"))) {
            for (Path link : links.filter(Files::isSymbolicLink).toList()) {
                Files.delete(link);
                Files.createSymbolicLink(link, Path.of("busybox"));
            }
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:999:999:app:/work:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\napp:x:999:\n");
        Files.writeString(root.resolve("etc/removed"), "should be whited out\n");
        Files.writeString(root.resolve("work/greeting"), "hello from the image\n");
        String image = layout + ":busybox";
        run("umoci", "init", "--layout", layout.toString());
        run("umoci", "new", "--image", image);
        run("umoci", "insert", "--rootless", "--image", image, root.toString(), "/");
        run("umoci", "insert", "--rootless", "--image", image, "--whiteout", "/etc/removed");
        run("umoci", "config", "--image", image, "--config.entrypoint", "/bin/sh",
                "--config.entrypoint", "-c", "--config.cmd", "echo default-cmd; pwd; id -u",
                "--config.env", "GREETING=hi", "--config.env", "PATH=/bin", "--config.workingdir", "/work",
                "--config.user", "app", "--config.exposedports", "8080/tcp");
        push("busybox", "test/busybox:1");
        // zstd layers: recompressed into a layout of their own (a push alone would reuse the gzip blobs).
        Path zstd = work.resolve("zstd-layout");
        run("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-compress-format", "zstd", "--dest-compress",
                "oci:" + layout + ":busybox", "oci:" + zstd + ":busybox");
        run("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--format", "oci",
                "oci:" + zstd + ":busybox", "docker://" + host() + "/test/busybox:zstd");
        addMultiPlatformIndex();
        push("multi", "test/busybox:multi", "--all");
    }

    private static SSLContext trustAll() {
        X509ExtendedTrustManager any = new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {any}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        return freePort(InetAddress.getLoopbackAddress());
    }

    private static int freePort(InetAddress address) throws IOException {
        return freePort(address, 0);
    }

    private static int freePort(InetAddress address, int port) throws IOException {
        try (ServerSocket s = new ServerSocket(port, 1, address)) {
            return s.getLocalPort();
        }
    }

    /** Starts docker-registry on {@code address:port} over this registry's storage, with {@code extra} config lines. */
    private static Process serve(Path work, String name, String address, int port, List<String> extra)
            throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "version: 0.1",
                "log:",
                "  level: warn",
                "  accesslog:",
                "    disabled: true",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + work.resolve("storage"),
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: " + address + ":" + port));
        lines.addAll(extra);
        lines.add("");
        Path config = Files.writeString(work.resolve(name + ".yml"), String.join("\n", lines));
        return new ProcessBuilder(find("docker-registry").toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start();
    }

    private static void awaitReady(Path work, String name, Process process, String address, int port,
            int readyStatus) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().sslContext(TRUST_ALL).build();
        Instant deadline = Instant.now().plusSeconds(30);
        while (true) {
            try {
                String scheme = name.startsWith("tls-") ? "https" : "http";
                int status = http.send(HttpRequest.newBuilder(URI.create(scheme + "://" + address + ":" + port + "/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == readyStatus) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                stop(process);
                throw new IOException("docker-registry did not start: " + Files.readString(work.resolve(name + ".log")));
            }
            Thread.sleep(100);
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    /**
     * A second docker-registry over the same storage (so with the same images) that wants basic auth checked
     * against {@code htpasswdLines} (bcrypt entries), as a private registry with {@code auth: htpasswd} does.
     * Stop it with {@code close()}.
     */
    public Secured withHtpasswd(String htpasswdLines) throws IOException, InterruptedException {
        return withAuth(htpasswdAuth(htpasswdLines));
    }

    /**
     * As {@link #withHtpasswd(String)}, on a fixed loopback address and port, for tests whose annotations must
     * name the registry in a constant.
     */
    public Secured withHtpasswd(String htpasswdLines, InetAddress loopbackAddress, int port)
            throws IOException, InterruptedException {
        return serveAt(loopbackAddress, port, htpasswdAuth(htpasswdLines), 401);
    }

    private List<String> htpasswdAuth(String htpasswdLines) throws IOException {
        Path htpasswd = Files.writeString(Files.createTempFile(work, "htpasswd-", ""), htpasswdLines);
        return List.of(
                "auth:",
                "  htpasswd:",
                "    realm: sandboxed-test",
                "    path: " + htpasswd);
    }

    /** A second docker-registry over the same storage with the given {@code auth:} configuration lines. */
    public Secured withAuth(List<String> authLines) throws IOException, InterruptedException {
        int securedPort = freePort();
        String name = "secured-" + securedPort;
        Process secured = serve(work, name, "127.0.0.1", securedPort, authLines);
        awaitReady(work, name, secured, "127.0.0.1", securedPort, 401);
        return new Secured("127.0.0.1:" + securedPort, secured);
    }

    /**
     * A second docker-registry over the same storage, without auth, listening on {@code loopbackAddress} (another
     * address of 127.0.0.0/8, say, which a host name resolves to). Its {@code host()} is {@code ADDRESS:PORT}.
     */
    public Secured at(InetAddress loopbackAddress) throws IOException, InterruptedException {
        return serveAt(loopbackAddress, freePort(checkedLoopback(loopbackAddress)), List.of(), 200);
    }

    /** As {@link #at(InetAddress)}, on a fixed port, for tests whose annotations must name it in a constant. */
    public Secured at(InetAddress loopbackAddress, int port) throws IOException, InterruptedException {
        return serveAt(loopbackAddress, port, List.of(), 200);
    }

    private Secured serveAt(InetAddress loopbackAddress, int port, List<String> extra, int readyStatus)
            throws IOException, InterruptedException {
        String address = checkedLoopback(loopbackAddress).getHostAddress();
        freePort(loopbackAddress, port); // a clear error when the fixed port is taken, before docker-registry starts
        String name = "plain-" + address + "-" + port;
        Process process = serve(work, name, address, port, extra);
        awaitReady(work, name, process, address, port, readyStatus);
        return new Secured(address + ":" + port, process);
    }

    private static InetAddress checkedLoopback(InetAddress address) {
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException(address + " is not a loopback address; test servers stay on loopback");
        }
        return address;
    }

    /**
     * A second docker-registry over the same storage, without auth, serving TLS on {@code loopbackAddress} with a
     * self-signed certificate openssl makes for {@code name} and the address (so trusted by nobody).
     */
    public Secured withTls(InetAddress loopbackAddress, String name) throws IOException, InterruptedException {
        checkedLoopback(loopbackAddress);
        Assumptions.assumeTrue(find("openssl") != null, "no openssl to make a certificate (apt-get install openssl)");
        int port = freePort(loopbackAddress);
        String address = loopbackAddress.getHostAddress();
        String id = "tls-" + port;
        Path cert = work.resolve(id + ".crt");
        Path key = work.resolve(id + ".key");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=DNS:" + name + ",IP:" + address, "-keyout", key.toString(),
                "-out", cert.toString());
        Process process = serve(work, id, address, port, List.of(
                "  tls:",
                "    certificate: " + cert,
                "    key: " + key));
        awaitReady(work, id, process, address, port, 200);
        return new Secured(address + ":" + port, process);
    }

    /** A registry started by {@link #withHtpasswd}, {@link #withAuth}, {@link #at} or {@link #withTls}. */
    public record Secured(String host, Process process) implements AutoCloseable {
        @Override
        public void close() {
            stop(process);
        }
    }

    /** The busybox manifest's digest in the layout. */
    public String busyboxManifestDigest() throws IOException {
        for (JsonNode m : JSON.readTree(Files.readAllBytes(layout.resolve("index.json"))).path("manifests")) {
            if (m.path("annotations").path("org.opencontainers.image.ref.name").asText().equals("busybox")) {
                return m.path("digest").asText();
            }
        }
        throw new IOException("no busybox in " + layout);
    }

    /**
     * Tags {@code multi} in the layout: an OCI index of the busybox manifest for this host's platform and, listed
     * first, another manifest (the same with an annotation) for linux/s390x, which platform selection must skip.
     */
    private void addMultiPlatformIndex() throws IOException {
        String busybox = busyboxManifestDigest();
        ObjectNode other = (ObjectNode) JSON.readTree(blob(busybox));
        other.putObject("annotations").put("test.platform", "linux/s390x");
        byte[] otherBytes = JSON.writeValueAsBytes(other);
        String otherDigest = writeBlob(otherBytes);
        String[] host = Manifests.hostPlatform().split("/");
        ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", Manifests.OCI_INDEX);
        ObjectNode s390x = index.putArray("manifests").addObject().put("mediaType", Manifests.OCI_MANIFEST)
                .put("digest", otherDigest).put("size", otherBytes.length);
        s390x.putObject("platform").put("os", "linux").put("architecture", "s390x");
        ObjectNode native_ = ((ArrayNode) index.get("manifests")).addObject().put("mediaType", Manifests.OCI_MANIFEST)
                .put("digest", busybox).put("size", blob(busybox).length);
        ObjectNode platform = native_.putObject("platform").put("os", host[0]).put("architecture", host[1]);
        if (host.length > 2) {
            platform.put("variant", host[2]);
        }
        byte[] indexBytes = JSON.writeValueAsBytes(index);
        ObjectNode top = (ObjectNode) JSON.readTree(Files.readAllBytes(layout.resolve("index.json")));
        ObjectNode entry = ((ArrayNode) top.get("manifests")).addObject().put("mediaType", Manifests.OCI_INDEX)
                .put("digest", writeBlob(indexBytes)).put("size", indexBytes.length);
        entry.putObject("annotations").put("org.opencontainers.image.ref.name", "multi");
        Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(top));
    }

    private byte[] blob(String digest) throws IOException {
        return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.substring(7)));
    }

    private String writeBlob(byte[] data) throws IOException {
        String digest = VerifyingInputStream.sha256(data);
        Files.write(layout.resolve("blobs/sha256").resolve(digest.substring(7)), data);
        return digest;
    }

    public void push(String layoutTag, String repositoryAndTag, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "--quiet",
                "--dest-tls-verify=false"));
        cmd.addAll(List.of(extra));
        cmd.add("oci:" + layout + ":" + layoutTag);
        cmd.add("docker://" + host() + "/" + repositoryAndTag);
        run(cmd.toArray(String[]::new));
    }

    public static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

}
