package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.image.PullListener.PullEvent;
import dev.sandboxed.core.image.PullListener.PullEvent.Kind;
import dev.sandboxed.core.internal.image.RegistryClient;
import dev.sandboxed.core.testing.TestRegistry;

/** Pulls from a real registry on loopback and from an OCI layout, both holding images umoci and skopeo made. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImagePullTest {
    @TempDir
    Path cache;
    TestRegistry registry;
    Images images;
    final List<PullEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        registry = TestRegistry.get();
        images = Images.builder().cacheDirectory(cache).build();
    }

    private static String text(Image image, String path) {
        return image.readFile(path).map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
    }

    @Test
    void pullsByTagWithTheImageConfig() {
        Image image = images.pull(registry.host() + "/test/busybox:1", events::add);
        assertThat(image.source()).isEqualTo(registry.host() + "/test/busybox:1");
        assertThat(image.layers()).hasSize(2).allSatisfy(dir -> assertThat(dir).startsWith(cache).isDirectory());
        assertThat(image.config().entrypoint()).containsExactly("/bin/sh", "-c");
        assertThat(image.config().cmd()).containsExactly("echo default-cmd; pwd; id -u");
        assertThat(image.config().env()).contains("GREETING=hi");
        assertThat(image.config().workingDir()).isEqualTo("/work");
        assertThat(image.config().user()).isEqualTo("app");
        assertThat(image.config().exposedPorts()).containsExactly("8080/tcp");
        assertThat(image.platform()).startsWith("linux/");
        assertThat(text(image, "/work/greeting")).isEqualTo("hello from the image\n");
        assertThat(text(image, "/etc/removed")).as("whited out by the second layer").isNull();
        assertThat(events).extracting(PullEvent::kind).contains(Kind.RESOLVED, Kind.EXTRACTED, Kind.DONE);
        assertThat(images.list()).extracting(Image::source).containsExactly(image.source());
    }

    @Test
    void aSecondPullAsksNothingAndExtractsNothing() throws Exception {
        Image first = images.pull(registry.host() + "/test/busybox:1");
        Path layer = first.layers().get(0);
        Object inode = Files.getAttribute(layer, "unix:ino");
        long requests = RegistryClient.requestCount();
        Image again = Images.builder().cacheDirectory(cache).build().pull(registry.host() + "/test/busybox:1", events::add);
        assertThat(RegistryClient.requestCount()).as("requests of the second pull").isEqualTo(requests);
        assertThat(events).extracting(PullEvent::kind).containsExactly(Kind.CACHED);
        assertThat(again.layers()).isEqualTo(first.layers());
        assertThat(Files.getAttribute(layer, "unix:ino")).isEqualTo(inode);
    }

    @Test
    void pullsByDigestAndRejectsAnUnknownOne() {
        Image byTag = images.pull(registry.host() + "/test/busybox:1");
        Image byDigest = images.pull(registry.host() + "/test/busybox@" + byTag.digest());
        assertThat(byDigest.digest()).isEqualTo(byTag.digest());
        assertThat(byDigest.layers()).isEqualTo(byTag.layers());
        String wrong = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> images.pull(registry.host() + "/test/busybox@" + wrong)).isInstanceOf(ImageException.class)
                .hasMessageContaining("404").hasMessageContaining(wrong);
        assertThatThrownBy(() -> images.pull(registry.host() + "/test/missing:1")).isInstanceOf(ImageException.class)
                .hasMessageContaining("404").hasMessageContaining("check the name and tag");
    }

    @Test
    void pullsAnOciLayoutAndRejectsATamperedBlob() throws Exception {
        Image image = images.pull("oci:" + registry.layout() + ":busybox");
        assertThat(text(image, "/work/greeting")).isEqualTo("hello from the image\n");
        assertThat(image.config().workingDir()).isEqualTo("/work");
        // A copy of the layout whose first layer has one byte changed.
        Path copy = registry.work().resolve("tampered-" + System.nanoTime());
        TestRegistry.run("cp", "-a", registry.layout().toString(), copy.toString());
        String layerDigest = image.layers().get(0).getFileName().toString();
        Path blob = copy.resolve("blobs/sha256").resolve(layerDigest);
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 1;
        Files.write(blob, bytes);
        Path otherCache = Files.createTempDirectory(cache, "other");
        assertThatThrownBy(() -> Images.builder().cacheDirectory(otherCache).build().pull("oci:" + copy + ":busybox"))
                .isInstanceOf(RuntimeException.class);
        try (var layers = Files.list(otherCache.resolve("layers/sha256"))) {
            assertThat(layers).as("nothing trusted is left from the failed pull").isEmpty();
        }
        try (var tmp = Files.list(otherCache.resolve("tmp"))) {
            assertThat(tmp.filter(Files::isDirectory)).isEmpty();
        }
    }

    @Test
    void concurrentPullsExtractEachLayerOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Image>> pulls = List.of(
                    pool.submit(() -> Images.builder().cacheDirectory(cache).build().pull(registry.host() + "/test/busybox:1", events::add)),
                    pool.submit(() -> Images.builder().cacheDirectory(cache).build().pull(registry.host() + "/test/busybox:1", events::add)));
            assertThat(pulls.get(0).get().digest()).isEqualTo(pulls.get(1).get().digest());
        } finally {
            pool.shutdownNow();
        }
        assertThat(events).filteredOn(e -> e.kind() == Kind.EXTRACTED).hasSize(2); // two layers, once each
    }

    @Test
    void pullsADockerArchive() throws Exception {
        Path archive = cache.resolveSibling(cache.getFileName() + "-busybox.tar");
        try {
            TestRegistry.run("skopeo", "--insecure-policy", "copy", "--quiet", "oci:" + registry.layout() + ":busybox",
                    "docker-archive:" + archive + ":test/busybox:1");
            Image image = images.pull("docker-archive:" + archive);
            assertThat(text(image, "/work/greeting")).isEqualTo("hello from the image\n");
            assertThat(text(image, "/etc/removed")).isNull();
            assertThat(image.config().entrypoint()).containsExactly("/bin/sh", "-c");
            assertThat(images.pull("docker-archive:" + archive + ":test/busybox:1").id()).isEqualTo(image.id());
            assertThatThrownBy(() -> images.pull("docker-archive:" + archive + ":other:2")).isInstanceOf(ImageException.class)
                    .hasMessageContaining("none tagged other:2");
        } finally {
            Files.deleteIfExists(archive);
        }
    }

    @Test
    void zstdLayersFromTheRegistry() {
        Image image = images.pull(registry.host() + "/test/busybox:zstd");
        assertThat(image.layers()).as("other blobs than the gzip ones")
                .doesNotContainAnyElementsOf(images.pull(registry.host() + "/test/busybox:1").layers());
        assertThat(text(image, "/work/greeting")).isEqualTo("hello from the image\n");
        assertThat(text(image, "/etc/removed")).isNull();
    }

    @Test
    void anIndexGivesThisHostsPlatform() throws Exception {
        Image image = images.pull(registry.host() + "/test/busybox:multi");
        assertThat(image.digest()).as("the manifest for this host, not the s390x one listed first")
                .isEqualTo(registry.busyboxManifestDigest());
        assertThat(text(image, "/work/greeting")).isEqualTo("hello from the image\n");
        Image fromLayout = images.pull("oci:" + registry.layout() + ":multi");
        assertThat(fromLayout.digest()).isEqualTo(image.digest());
    }

    @Test
    void twoJvmsPullingAtOnceExtractEachLayerOnce() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> jvms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            jvms.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), PullJvmMain.class.getName(),
                    cache.toString(), registry.host() + "/test/busybox:1").redirectErrorStream(true).start());
        }
        StringBuilder output = new StringBuilder();
        for (Process jvm : jvms) {
            output.append(new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertThat(jvm.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(jvm.exitValue()).as(output.toString()).isZero();
        }
        assertThat(output.toString().lines().filter(l -> l.startsWith("extracted"))).as(output.toString()).hasSize(2)
                .doesNotHaveDuplicates();
        assertThat(output.toString().lines().filter(l -> l.equals("done"))).hasSize(2);
    }

    @Test
    void removeDeletesTheLayers() {
        Image image = images.pull(registry.host() + "/test/busybox:1");
        assertThat(images.remove(registry.host() + "/test/busybox:1")).isTrue();
        assertThat(image.layers()).allSatisfy(dir -> assertThat(dir).doesNotExist());
        assertThat(images.inspect(registry.host() + "/test/busybox:1")).isEmpty();
        assertThat(images.remove(registry.host() + "/test/busybox:1")).isFalse();
    }
}
