package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.PruneResult;
import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.image.ImageUse;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.OciLayouts;
import dev.sandboxed.core.testing.OtherProcessLock;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TarBuilder;
import dev.sandboxed.core.testing.TestRegistry;

/** The size-bounded, least recently used clean-up of the image cache, and what it must keep. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ImagePruneTest {
    private static final int LAYER = 100_000;
    @TempDir
    Path tmp;
    Path layout;
    Images images;

    @BeforeEach
    void setUp() throws IOException {
        layout = tmp.resolve("layout");
        byte[] base = layer("base", 'b');
        for (String name : List.of("a", "b", "c")) {
            OciLayouts.add(layout, name, base, layer(name, name.charAt(0)));
        }
        images = Images.builder().cacheDirectory(tmp.resolve("cache")).build();
    }

    /** A tar layer with one file of LAYER bytes. */
    private static byte[] layer(String name, char fill) {
        return new TarBuilder().file(name + ".data", String.valueOf(fill).repeat(LAYER)).build();
    }

    private Image pull(String tag) {
        return images.pull("oci:" + layout + ":" + tag);
    }

    /** Sets when an image was last used, as pulls and starts note it (the record's modification time). */
    private void lastUsed(Image image, int secondsAgo) throws IOException {
        try (var records = Files.list(images.cacheDirectory().resolve("images"))) {
            for (Path record : records.toList()) {
                if (new ObjectMapper().readTree(record.toFile()).path("source").asText().equals(image.source())) {
                    Files.setLastModifiedTime(record, FileTime.from(Instant.now().minusSeconds(secondsAgo)));
                    return;
                }
            }
        }
        throw new AssertionError("no record of " + image.source());
    }

    /**
     * A removal in another JVM decides from the use locks it lists once: a start from an image that no sandbox used
     * yet makes its use lock then, so it must wait until that removal is done rather than mount layers being deleted.
     */
    @Test
    void aStartWaitsWhileAnotherProcessRemovesImages() throws Exception {
        Image a = pull("a");
        Path storeLock = images.cacheDirectory().resolve("locks").resolve("store.lock");
        CompletableFuture<Void> start = null;
        try (OtherProcessLock removal = OtherProcessLock.hold(storeLock)) {
            start = CompletableFuture.runAsync(() -> ImageUse.started(a));
            Thread.sleep(500);
            assertThat(start).as("the start waits while the other process holds the store alone").isNotDone();
            removal.release(); // that removal is done
            assertThat(start).succeedsWithin(Duration.ofSeconds(10));
        } finally {
            if (start != null && start.isDone() && !start.isCompletedExceptionally()) {
                ImageUse.ended(a);
            }
        }
    }

    /**
     * A start waits for a removal that holds the store, not for one that waits for it: that one may wait behind a pull
     * of minutes, and the start's use lock takes a moment.
     */
    @Test
    void aStartGoesAheadOfARemovalThatWaitsBehindAPull() throws Exception {
        Image a = pull("a");
        CountDownLatch pullDone = new CountDownLatch(1);
        // Threads of its own: Java 25 runs async work on the common pool, one thread on 2 cores, behind the pull.
        ExecutorService threads = Executors.newCachedThreadPool();
        CompletableFuture<Void> start = null;
        try {
            CompletableFuture<Void> pulling = CompletableFuture.runAsync(() -> {
                try {
                    new ImageCache(images.cacheDirectory()).shared("store", () -> {
                        try {
                            pullDone.await(); // a long download: the store is held shared meanwhile
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return null;
                    });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, threads);
            Thread.sleep(200);
            CompletableFuture<PruneResult> pruning = CompletableFuture.supplyAsync(() -> images.prune(0), threads);
            Thread.sleep(300);
            start = CompletableFuture.runAsync(() -> ImageUse.started(a), threads);
            assertThat(start).as("the start while a removal waits behind a pull").succeedsWithin(Duration.ofSeconds(10));
            assertThat(pruning).as("the removal still waits for the pull").isNotDone();
            pullDone.countDown();
            pulling.get(10, TimeUnit.SECONDS);
            assertThat(pruning.get(10, TimeUnit.SECONDS).removedImages()).as("the image in use stays")
                    .doesNotContain(a.source());
        } finally {
            pullDone.countDown();
            threads.shutdown();
            threads.awaitTermination(10, TimeUnit.SECONDS);
            if (start != null && start.isDone() && !start.isCompletedExceptionally()) {
                ImageUse.ended(a);
            }
        }
    }

    @Test
    void removesTheLeastRecentlyUsedUntilTheCacheFitsAndCountsSharedLayersOnce() throws IOException {
        Image a = pull("a");
        Image b = pull("b");
        Image c = pull("c");
        lastUsed(a, 300);
        lastUsed(c, 200);
        lastUsed(b, 100);
        long before = images.cacheBytes();
        assertThat(before).as("four distinct layers (the base once) and small blobs")
                .isBetween(4L * LAYER, 4L * LAYER + 20_000);

        PruneResult r = images.prune(LAYER * 5 / 2); // a's own layer is not enough to free, a's and c's are

        assertThat(r.removedImages()).containsExactly(a.source(), c.source());
        assertThat(r.removedLayers()).hasSize(2);
        assertThat(r.reclaimedBytes()).isGreaterThanOrEqualTo(2L * LAYER);
        assertThat(r.remainingBytes()).isEqualTo(images.cacheBytes()).isEqualTo(before - r.reclaimedBytes());
        assertThat(images.list()).extracting(Image::source).containsExactly(b.source());
        assertThat(b.layers()).allSatisfy(dir -> assertThat(dir).isDirectory());
        assertThat(a.layers().get(1)).doesNotExist();
        assertThat(images.prune(images.cacheBytes()).removedImages()).as("already within the bound").isEmpty();
    }

    @Test
    void aPullOrACachedPullCountsAsAUse() throws IOException {
        Image a = pull("a");
        Image b = pull("b");
        lastUsed(a, 300);
        lastUsed(b, 100);
        pull("a"); // from the cache: no fetch, but a use
        assertThat(images.prune(images.cacheBytes() - 1).removedImages()).containsExactly(b.source());
    }

    @Test
    void pruneToZeroRemovesEverythingNotInUseIncludingLayersNoImageReferences() throws IOException {
        pull("a");
        pull("b");
        assertThat(images.remove("oci:" + layout + ":b")).isTrue();
        PruneResult r = images.prune(0);
        assertThat(r.removedImages()).hasSize(1);
        assertThat(r.remainingBytes()).isZero();
        assertThat(images.list()).isEmpty();
        try (var layers = Files.list(images.cacheDirectory().resolve("layers/sha256"))) {
            assertThat(layers).isEmpty();
        }
    }

    @Test
    void anImageAnotherProcessUsesIsKept() throws Exception {
        Image a = pull("a");
        Image b = pull("b");
        // Another JVM running a sandbox from `a` holds a shared lock on its use file, as ImageUse takes it; python's
        // lockf takes the same kind of lock (fcntl), which Java's FileLock also uses.
        Path useLock = images.cacheDirectory().resolve("locks/use-" + a.digest().substring(7) + ".lock");
        Files.createFile(useLock);
        Process holder = new ProcessBuilder("python3", "-c", "import fcntl,sys\nf=open(sys.argv[1],'rb')\n"
                + "fcntl.lockf(f, fcntl.LOCK_SH)\nprint('locked', flush=True)\nsys.stdin.read()", useLock.toString())
                .redirectErrorStream(true).start();
        try {
            assertThat(new String(holder.getInputStream().readNBytes(7))).isEqualTo("locked\n");
            PruneResult r = images.prune(0);
            assertThat(r.removedImages()).containsExactly(b.source());
            assertThat(a.layers()).allSatisfy(dir -> assertThat(dir).isDirectory());
        } finally {
            holder.getOutputStream().close();
            holder.waitFor(10, TimeUnit.SECONDS);
            holder.destroyForcibly();
        }
        assertThat(images.prune(0).removedImages()).as("unused once the other process is gone")
                .containsExactly(a.source());
    }

    @Test
    void aBoundAppliesInTheBackgroundAfterEachPullKeepingThePulledImage() throws Exception {
        Images bounded = Images.builder().cacheDirectory(tmp.resolve("cache")).maxCacheSize(0).build();
        Image a = bounded.pull("oci:" + layout + ":a");
        lastUsed(a, 300);
        Image b = bounded.pull("oci:" + layout + ":b");
        List<String> left = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            left = bounded.list().stream().map(Image::source).toList();
            // The record goes before the layers: wait for both, the prune runs on its own thread.
            if (left.equals(List.of(b.source())) && !Files.exists(a.layers().get(1))) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(left).containsExactly(b.source());
        assertThat(a.layers().get(1)).doesNotExist();
    }

    @Test
    @RequiresSandbox
    void anImageARunningSandboxUsesIsKeptUntilItEndsAndItsUseNoted() throws Exception {
        TestRegistry registry = TestRegistry.get();
        Images cache = Images.builder().cacheDirectory(tmp.resolve("cache2")).build();
        Image busybox = cache.pull("oci:" + registry.layout() + ":busybox");
        Image other = cache.pull("oci:" + layout + ":a");
        Path record;
        try (var records = Files.list(cache.cacheDirectory().resolve("images"))) {
            record = records.filter(p -> {
                try {
                    return Files.readString(p).contains(":busybox\"");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }).findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(record, FileTime.from(Instant.now().minusSeconds(3600)));
        try (Sandbox running = Sandbox.start(SandboxSpec.builder().image(busybox).build())) {
            ExecResult r = running.exec("/bin/true");
            assertThat(r.succeeded()).as(r.toString()).isTrue();
            assertThat(Files.getLastModifiedTime(record).toInstant()).as("the start noted the use")
                    .isAfter(Instant.now().minusSeconds(60));
            assertThat(cache.prune(0).removedImages()).containsExactly(other.source());
            assertThat(busybox.layers()).allSatisfy(dir -> assertThat(dir).isDirectory());
            ExecResult again = Sandbox.run(SandboxSpec.builder().image(busybox).build(), ProcessSpec.of("/bin/true"));
            assertThat(again.succeeded()).as("a second sandbox of the image, ended: the first still runs").isTrue();
            assertThat(cache.prune(0).removedImages()).isEmpty();
        }
        assertThat(cache.prune(0).removedImages()).as("unused once its sandbox ended").containsExactly(busybox.source());
        assertThat(busybox.layers()).allSatisfy(dir -> assertThat(dir).doesNotExist());
    }
}
