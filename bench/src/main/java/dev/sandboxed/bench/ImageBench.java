package dev.sandboxed.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.sandboxed.core.Images;
import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * The image benchmark: cold pull and unpack of one image from a loopback {@code docker-registry}, by the runtime
 * and by {@code skopeo copy} + {@code umoci unpack --rootless}, interleaved round by round with a fresh cache each
 * round; and the warm start of an image sandbox (the image cached) against the host-view sandbox (P1), interleaved,
 * back to back and after 20 ms idle.
 *
 * <pre>java -cp bench/target/sandboxed-bench.jar dev.sandboxed.bench.ImageBench [--cold N] [--warm N] [--tree DIR]</pre>
 */
public final class ImageBench {
    private final PrintStream out;
    private final Path work;
    /** Both sides set up on the caller's path: image roots are never prepared ahead, host roots would be. */
    private final SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(false)
            .withPrepareRuns(false));
    private Process registry;
    private String host;

    private ImageBench(PrintStream out, Path work) {
        this.out = out;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        int cold = 10;
        int warm = 200;
        Path tree = Path.of("/usr/lib/python3.11");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cold" -> cold = Integer.parseInt(args[++i]); // 0: skip the cold case
                case "--warm" -> warm = Integer.parseInt(args[++i]);
                case "--tree" -> tree = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: ImageBench [--cold N] [--warm N] [--tree DIR]");
                    System.exit(2);
                }
            }
        }
        for (String tool : List.of("docker-registry", "skopeo", "umoci", "busybox")) {
            if (which(tool) == null) {
                System.out.println("skipped: " + tool + " is not installed (apt-get install docker-registry skopeo umoci"
                        + " busybox-static)");
                return;
            }
        }
        Path work = Files.createTempDirectory("sandboxed-image-bench-");
        ImageBench bench = new ImageBench(System.out, work);
        try {
            bench.run(cold, warm, tree);
        } finally {
            bench.close();
        }
    }

    private void run(int coldRounds, int warmRounds, Path tree) throws Exception {
        out.printf(Locale.ROOT, "image bench: uid %d, load %s%n", uid(), load());
        startRegistry();
        String big = buildAndPush(tree);
        if (coldRounds > 0) {
            cold(big, coldRounds);
        }
        if (warmRounds > 0) {
            warm(warmRounds);
        }
        out.printf(Locale.ROOT, "load at end %s%n", load());
    }

    /** Cold: a fresh cache each round, the runtime's pull vs skopeo copy + umoci unpack, alternating who goes first. */
    private void cold(String ref, int rounds) throws Exception {
        long[] ours = new long[rounds];
        long[] peer = new long[rounds];
        long bytes = 0;
        for (int round = -1; round < rounds; round++) { // round -1: warm-up of both, not counted
            for (int k = 0; k < 2; k++) {
                boolean oursNow = (k == 0) == (round % 2 == 0);
                Path dir = Files.createTempDirectory(work, "cold-");
                long t0 = System.nanoTime();
                if (oursNow) {
                    Image image = Images.builder().cacheDirectory(dir.resolve("cache")).build().pull(host + "/" + ref);
                    long t = System.nanoTime() - t0;
                    if (round >= 0) {
                        ours[round] = t;
                    }
                    bytes = image.size();
                } else {
                    exec("skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
                            "docker://" + host + "/" + ref, "oci:" + dir.resolve("oci") + ":img");
                    exec("umoci", "unpack", "--rootless", "--image", dir.resolve("oci") + ":img",
                            dir.resolve("bundle").toString());
                    long t = System.nanoTime() - t0;
                    if (round >= 0) {
                        peer[round] = t;
                    }
                }
                delete(dir);
            }
        }
        out.printf(Locale.ROOT, "%ncold pull + unpack of %s (%.1f MiB compressed), %d rounds, fresh cache each:%n",
                ref, bytes / 1048576.0, rounds);
        line("sandboxed pull (download, verify, extract)", Stats.of(ours));
        line("skopeo copy + umoci unpack --rootless", Stats.of(peer));
        out.printf(Locale.ROOT, "  ratio of medians sandboxed / skopeo+umoci: %.2f (target <= 1.0)%n",
                Stats.of(ours).medianMs() / Stats.of(peer).medianMs());
    }

    /** Warm: the image sandbox vs P1, alternating, back to back and after 20 ms idle. */
    private void warm(int rounds) throws Exception {
        Image image = Images.builder().cacheDirectory(work.resolve("warm-cache")).build().pull(host + "/bench/busybox:1");
        SandboxSpec imageSpec = SandboxSpec.builder().image(image).trackUsage(false).build();
        SandboxSpec hostSpec = SandboxSpec.builder().trackUsage(false).build();
        ProcessSpec trueProcess = ProcessSpec.of("/bin/true");
        for (boolean idle : new boolean[] {false, true}) {
            for (int i = 0; i < 30; i++) {
                check(runtime.run(imageSpec, trueProcess));
                check(runtime.run(hostSpec, trueProcess));
            }
            long[] img = new long[rounds];
            long[] p1 = new long[rounds];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < 2; k++) {
                    boolean imageNow = (k == 0) == (round % 2 == 0);
                    if (idle) {
                        runtime.awaitIdle();
                        Thread.sleep(20);
                    }
                    long t0 = System.nanoTime();
                    check(runtime.run(imageNow ? imageSpec : hostSpec, trueProcess));
                    long t = System.nanoTime() - t0;
                    (imageNow ? img : p1)[round] = t;
                }
            }
            out.printf(Locale.ROOT, "%nwarm start, /bin/true, %s, %d rounds:%n",
                    idle ? "after the runtime is idle and 20 ms" : "back to back", rounds);
            line("image sandbox (busybox, cached, overlayfs root)", Stats.of(img));
            line("P1 (host view)", Stats.of(p1));
            out.printf(Locale.ROOT, "  ratio of medians image / P1: %.2f (target <= 1.2); paired median difference %.3f ms%n",
                    Stats.of(img).medianMs() / Stats.of(p1).medianMs(), Stats.pairedMedianDifferenceMs(img, p1));
        }
    }

    private void line(String label, Stats s) {
        out.printf(Locale.ROOT, "  %-50s median %8.2f ms  p90 %8.2f ms  min %8.2f  max %8.2f%n", label, s.medianMs(),
                s.p90Ms(), s.minMs(), s.maxMs());
    }

    private static void check(ExecResult r) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException("/bin/true failed: " + r);
        }
    }

    private void startRegistry() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        host = "127.0.0.1:" + port;
        Path config = Files.writeString(work.resolve("registry.yml"), String.join("\n", "version: 0.1", "log:",
                "  level: warn", "  accesslog:", "    disabled: true", "storage:", "  filesystem:",
                "    rootdirectory: " + work.resolve("storage"), "http:", "  addr: " + host, ""));
        registry = new ProcessBuilder(which("docker-registry").toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("registry.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plusSeconds(30);
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!registry.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IOException("docker-registry did not start: " + Files.readString(work.resolve("registry.log")));
            }
            Thread.sleep(100);
        }
    }

    /**
     * Builds with umoci {@code busybox} (a busybox-static tree, one layer) and {@code big} (that plus a copy of
     * {@code tree} as a second layer), pushes both with skopeo; returns the big one's repository and tag.
     */
    private String buildAndPush(Path tree) throws Exception {
        Path root = work.resolve("rootfs");
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.copy(which("busybox"), root.resolve("bin/busybox"));
        exec(root.resolve("bin/busybox").toString(), "--install", "-s", root.resolve("bin").toString());
        try (var links = Files.list(root.resolve("bin"))) {
            for (Path link : links.filter(Files::isSymbolicLink).toList()) {
                Files.delete(link);
                Files.createSymbolicLink(link, Path.of("busybox"));
            }
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Path layout = work.resolve("layout");
        exec("umoci", "init", "--layout", layout.toString());
        exec("umoci", "new", "--image", layout + ":busybox");
        exec("umoci", "insert", "--rootless", "--image", layout + ":busybox", root.toString(), "/");
        exec("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":busybox",
                "docker://" + host + "/bench/busybox:1");
        exec("umoci", "tag", "--image", layout + ":busybox", "big");
        String target = "/opt/" + tree.getFileName();
        // A copy of our own: rootless umoci insert changes the modes of what it reads to read it all.
        Path copy = work.resolve("tree");
        exec("cp", "-r", tree.toString(), copy.toString());
        exec("umoci", "insert", "--rootless", "--image", layout + ":big", copy.toString(), target);
        exec("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":big",
                "docker://" + host + "/bench/big:1");
        out.printf(Locale.ROOT, "images: bench/busybox:1 (busybox-static), bench/big:1 (+ %s as %s)%n", tree, target);
        return "bench/big:1";
    }

    private static void exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }

    private static Path which(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                .findFirst().orElse(null);
    }

    private static void delete(Path dir) throws IOException {
        // umoci's rootless bundle can hold read-only directories: make them writable before deleting.
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    p.toFile().setWritable(true, true);
                }
            }
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    p.toFile().setWritable(true, true);
                }
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static long uid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private void close() {
        runtime.close();
        if (registry != null) {
            registry.destroy();
            try {
                registry.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            registry.destroyForcibly();
        }
        try {
            delete(work);
        } catch (IOException e) {
            out.println("could not remove " + work + ": " + e.getMessage());
        }
    }
}
