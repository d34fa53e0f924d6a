package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.image.OwnerMark;
import dev.sandboxed.core.internal.image.OwnerPolicy;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TarBuilder;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * An image whose files belong to other users than root (the postgres case), built with umoci: a busybox layer, then a
 * layer with a 999:999 directory and files, a setuid file of root's, a 1000:50 file and a link owned by 999. Inside a
 * sandbox they have those owners, as real root and rootless (through the subordinate range), and the image can be
 * removed again.
 */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageOwnersTest {
    @TempDir
    static Path work;
    static Images images;
    static String source;
    static Image image;

    @BeforeAll
    static void build() throws Exception {
        TestRegistry registry = TestRegistry.get(); // the tools, and a busybox tree made with them
        Path layout = work.resolve("layout");
        String base = layout + ":owners";
        TestRegistry.run("umoci", "init", "--layout", layout.toString());
        TestRegistry.run("umoci", "new", "--image", base);
        TestRegistry.run("umoci", "insert", "--rootless", "--image", base, registry.work().resolve("rootfs").toString(), "/");
        byte[] tar = new TarBuilder().ownedDir("data", 0755, 0, 0).ownedDir("data/pg", 0700, 999, 999)
                .ownedFile("data/pg/PG_VERSION", "16\n", 0600, 999, 999).ownedFile("usr/bin/su", "#!/bin/sh\n", 04755, 0, 0)
                .ownedFile("home/other", "x", 0640, 1000, 50).ownedSymlink("data/current", "pg", 999, 999).build();
        Path layer = Files.write(work.resolve("owners.tar"), tar);
        TestRegistry.run("umoci", "raw", "add-layer", "--image", base, layer.toString());
        images = Images.builder().cacheDirectory(work.resolve("cache")).build();
        source = "oci:" + layout + ":owners";
        image = images.pull(source);
    }

    /** Rootless, the layers' files belong to subordinate ids: only the store can remove them (the TempDir cannot). */
    @AfterAll
    static void removeImage() {
        if (images != null) {
            images.remove(source);
        }
    }

    private static ExecResult run(SandboxSpec spec, String script) {
        return Sandbox.run(spec, ProcessSpec.of("/bin/sh", "-c", script));
    }

    @Test
    void filesHaveTheImagesOwnersInside() {
        ExecResult r = run(SandboxSpec.builder().image(image).user(UserSpec.ROOT).build(),
                "stat -c '%n %u:%g %a' /data/pg /data/pg/PG_VERSION /usr/bin/su /home/other /data/current");
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("/data/pg 999:999 700\n/data/pg/PG_VERSION 999:999 600\n/usr/bin/su 0:0 4755\n"
                + "/home/other 1000:50 640\n/data/current 999:999 777\n");
    }

    @Test
    void aProcessOfUid999WritesItsOwnDirectory() {
        ExecResult r = run(SandboxSpec.builder().image(image).user(new UserSpec(999, 999)).build(),
                "cat /data/pg/PG_VERSION && echo row > /data/pg/table && stat -c '%u:%g' /data/pg/table && id -u");
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("16\n999:999\n999\n");
    }

    @Test
    void onTheHostTheOwnersAreRootsOrTheSubordinateIds() throws Exception {
        Path pg = image.layers().get(1).resolve("data/pg");
        OwnerPolicy policy = OwnerPolicy.current();
        long uid = (Integer) Files.getAttribute(pg, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (policy.mode() == OwnerPolicy.Mode.ROOT) {
            assertThat(uid).isEqualTo(999);
            assertThat(OwnerMark.read(image.layers().get(1))).isEmpty();
        } else if (policy.mode() == OwnerPolicy.Mode.RANGE) {
            assertThat(uid).isEqualTo(policy.uids().orElseThrow().start() + 998);
            assertThat(OwnerMark.read(image.layers().get(1))).as("1000:50 is the highest").contains(policy.mark(1000));
            assertThat(OwnerMark.read(image.layers().get(0))).as("busybox's files are all root's").isEmpty();
        }
        assertThat(policy.mode()).as("this test host has a subordinate range for rootless runs")
                .isNotEqualTo(OwnerPolicy.Mode.FALLBACK);
    }

    @Test
    void singleMappingIsRefusedRootlessForSuchAnImage() {
        SandboxSpec spec = SandboxSpec.builder().image(image).user(UserSpec.ROOT).idMapping(IdMappingMode.SINGLE).build();
        if (OwnerPolicy.current().mode() == OwnerPolicy.Mode.ROOT) {
            assertThat(run(spec, "stat -c %u /data/pg").stdout()).isEqualTo("999\n"); // real root maps 0..65535 always
            return;
        }
        try {
            run(spec, "true");
            throw new AssertionError("SINGLE was accepted");
        } catch (SpecException e) {
            assertThat(e.getMessage()).startsWith("idMapping:").contains("allowed for this image: AUTO, RANGE");
        }
    }

    @Test
    void theImageCanBeRemovedAndPulledAgain() throws Exception {
        Images other = Images.builder().cacheDirectory(work.resolve("cache2")).build();
        Image pulled = other.pull(source);
        List<Path> layers = pulled.layers();
        assertThat(other.remove(source)).isTrue();
        for (Path layer : layers) {
            assertThat(layer).doesNotExist();
        }
        try (var left = Files.list(work.resolve("cache2/tmp"))) {
            assertThat(left.filter(f -> !f.getFileName().toString().endsWith(".owner")))
                    .as("no work left; only the lock files that say which processes run").isEmpty();
        }
    }
}
