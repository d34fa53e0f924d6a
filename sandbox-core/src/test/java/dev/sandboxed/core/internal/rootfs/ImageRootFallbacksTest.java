package dev.sandboxed.core.internal.rootfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageConfig;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * What a runtime remembers after sandbox-init fell back: the mode that worked, except that a copy made only because
 * fuse-overlayfs failed in a way that may pass (it timed out, memory or processes ran short) leaves the next start
 * trying fuse-overlayfs again, after the overlayfs refusal that stays.
 */
class ImageRootFallbacksTest {
    private static final int EIO = 5;
    private static final int ETIMEDOUT = 110;
    private static final int ENOMEM = 12;
    private static final int EINVAL = 22;
    private static final String OVERLAY_REFUSED = "overlay refused: mount overlay of 1 image layers as the new root:"
            + " Invalid argument";

    private static MountPlan plan(Path cache) throws IOException {
        Path layer = Files.createDirectories(cache.resolve("layers/sha256/" + "a".repeat(64)));
        Image image = new Image("test", "sha256:" + "0".repeat(64), "sha256:" + "1".repeat(64), "linux/amd64",
                new ImageConfig(List.of(), List.of(), List.of(), "/", "", Set.of(), Optional.empty(), "", Map.of()),
                List.of(layer), 0);
        MountPlan plan = MountPlan.forSpec(SandboxSpec.builder().image(image).build(), Optional.empty());
        ImageRootChoice auto = new ImageRootChoice(ImageRootMode.OVERLAY, Optional.of(Path.of("/usr/bin/fuse-overlayfs")),
                "the kernel's overlayfs; where it is refused, fuse-overlayfs (/usr/bin/fuse-overlayfs)", true);
        return plan.withImageRoot(new MountPlan.ImageRoot(auto, false, 0, false));
    }

    private static ImageRootChoice next(ImageRootFallbacks fallbacks, MountPlan plan) {
        return fallbacks.apply(plan).imageRoot().orElseThrow().choice();
    }

    @Test
    void aPassingFailureOfFuseOverlayfsLeavesItForTheNextStart(@TempDir Path cache) throws IOException {
        MountPlan plan = plan(cache);
        for (int passing : new int[] {ETIMEDOUT, ENOMEM}) {
            ImageRootFallbacks fallbacks = new ImageRootFallbacks();
            fallbacks.fellBack(plan, ImageRootMode.COPY, OVERLAY_REFUSED + "; fuse-overlayfs refused: mount fuse-overlayfs"
                    + " of 1 image layers with /usr/bin/fuse-overlayfs: it ended without serving", passing);
            ImageRootChoice next = next(fallbacks, plan);
            assertThat(next.mode()).as("after errno %d", passing).isEqualTo(ImageRootMode.FUSE_OVERLAYFS);
            assertThat(next.fallback()).as("still falls back to a copy").isTrue();
            assertThat(next.helper()).contains(Path.of("/usr/bin/fuse-overlayfs"));

            MountPlan fuseFirst = fallbacks.apply(plan);
            fallbacks.fellBack(fuseFirst, ImageRootMode.COPY, "fuse-overlayfs refused: it timed out", ETIMEDOUT);
            assertThat(next(fallbacks, plan).mode()).as("passing again").isEqualTo(ImageRootMode.FUSE_OVERLAYFS);
            fallbacks.fellBack(fuseFirst, ImageRootMode.COPY, "fuse-overlayfs refused: it exited", EIO);
            assertThat(next(fallbacks, plan).mode()).as("then refused for good").isEqualTo(ImageRootMode.COPY);
        }
    }

    @Test
    void aRefusalIsRememberedAsBefore(@TempDir Path cache) throws IOException {
        MountPlan plan = plan(cache);
        ImageRootFallbacks copy = new ImageRootFallbacks();
        copy.fellBack(plan, ImageRootMode.COPY, OVERLAY_REFUSED + "; fuse-overlayfs refused: it exited", EIO);
        assertThat(next(copy, plan).mode()).isEqualTo(ImageRootMode.COPY);
        assertThat(next(copy, plan).helper()).isEmpty();

        ImageRootFallbacks fuse = new ImageRootFallbacks();
        fuse.fellBack(plan, ImageRootMode.FUSE_OVERLAYFS, OVERLAY_REFUSED, EINVAL);
        assertThat(next(fuse, plan).mode()).isEqualTo(ImageRootMode.FUSE_OVERLAYFS);
    }
}
