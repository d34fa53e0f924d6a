package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe.Outcome;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe.Verdict;
import dev.sandboxed.core.spec.ImageRootMode;

/**
 * doctor's "image roots" line: what assembling a root in a user namespace gave (the probe's answers stand in here;
 * ImageRootFallbackTest and ImageRootModesTest run the real one), falling back or only the mode the property forces.
 */
class ImageRootCheckTest {
    @TempDir
    Path root;
    final List<Boolean> probed = new ArrayList<>();
    final List<ImageRootMode> forced = new ArrayList<>();

    private CheckResult check(FakeHost host, String property, Outcome tmpfs, Outcome disk) {
        return new ImageRootCheck(host.environment(), Optional.ofNullable(property), (choice, diskLayer) -> {
            probed.add(diskLayer);
            if (!choice.fallback()) {
                forced.add(choice.mode());
            }
            return diskLayer ? disk : tmpfs;
        }).run();
    }

    private static Outcome assembled(ImageRootMode mode, String refusals) {
        return new Outcome(Verdict.ASSEMBLED, mode, refusals);
    }

    private FakeHost withFuse() {
        return new FakeHost(root).executable("/usr/bin/fuse-overlayfs").file("/dev/fuse", "");
    }

    @Test
    void overlayWhereItMountsForBothKindsOfWritableLayer() {
        Outcome overlay = assembled(ImageRootMode.OVERLAY, "");
        CheckResult r = check(withFuse(), null, overlay, overlay);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).isEqualTo("overlay: assembled an image root in a user namespace, as sandboxes do");
        assertThat(probed).containsExactly(false, true);
    }

    @Test
    void aRefusalNamesTheModeUsedAndWhy() {
        Outcome fuse = assembled(ImageRootMode.FUSE_OVERLAYFS, "overlay refused: mount overlay of 1 image layers as"
                + " the new root: Operation not permitted");
        CheckResult r = check(withFuse(), null, fuse, fuse);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).isEqualTo("fuse-overlayfs (" + root + "/usr/bin/fuse-overlayfs): overlay refused: mount"
                + " overlay of 1 image layers as the new root: Operation not permitted");
    }

    @Test
    void aCopyWarnsWithTheFixAndADifferentDiskLayerIsNamed() {
        Outcome copy = assembled(ImageRootMode.COPY, "overlay refused: mount overlay of 1 image layers as the new root:"
                + " Invalid argument");
        CheckResult r = check(new FakeHost(root), null, assembled(ImageRootMode.OVERLAY, ""), copy);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).isEqualTo("overlay: assembled an image root in a user namespace, as sandboxes do; with a"
                + " disk writable layer: copy: overlay refused: mount overlay of 1 image layers as the new root: Invalid"
                + " argument");
        CheckResult everywhere = check(new FakeHost(root), null, copy, copy);
        assertThat(everywhere.status()).isEqualTo(Status.WARN);
        assertThat(everywhere.fix()).startsWith("apt-get install fuse-overlayfs");
    }

    @Test
    void aFailureOrNoProbeWarns() {
        Outcome noSpace = new Outcome(Verdict.FAILED, ImageRootMode.COPY, "copy the image layers: No space left on"
                + " device");
        CheckResult failed = check(withFuse(), null, noSpace, noSpace);
        assertThat(failed.status()).isEqualTo(Status.WARN);
        assertThat(failed.detail()).startsWith("no mode works: copy failed: copy the image layers: No space left");
        CheckResult none = check(withFuse(), null, new Outcome(Verdict.NOT_PROBED, ImageRootMode.OVERLAY,
                "sandbox-init --probe-root failed (exit 125): clone: Operation not permitted"), null);
        assertThat(none.status()).isEqualTo(Status.WARN);
        assertThat(none.detail()).startsWith("not probed (sandbox-init --probe-root failed (exit 125): clone:");
        assertThat(probed).containsExactly(false, true, false);
    }

    @Test
    void aDiskLayerThatFailsWarnsThoughATmpfsOneWorks() {
        Outcome noSpace = new Outcome(Verdict.FAILED, ImageRootMode.COPY, "copy the image layers: No space left on"
                + " device");
        CheckResult r = check(withFuse(), null, assembled(ImageRootMode.OVERLAY, ""), noSpace);
        assertThat(r.status()).isEqualTo(Status.WARN);
        assertThat(r.detail()).endsWith("; with a disk writable layer: no mode works: copy failed: copy the image"
                + " layers: No space left on device");
        assertThat(r.fix()).startsWith("image sandboxes with a disk writable layer cannot start here");
    }

    @Test
    void aModeThePropertyForcesIsProbedAlone() {
        FakeHost host = new FakeHost(root);
        Outcome copy = assembled(ImageRootMode.COPY, "");
        CheckResult works = check(host, "copy", copy, copy);
        assertThat(works.status()).isEqualTo(Status.OK);
        assertThat(works.detail()).isEqualTo("copy: assembled an image root in a user namespace, as sandboxes do; set by"
                + " sandboxed.image.rootfs");
        Outcome refused = new Outcome(Verdict.FAILED, ImageRootMode.OVERLAY, "mount overlay of 1 image layers as the new"
                + " root: Invalid argument");
        CheckResult disk = check(host, "overlay", assembled(ImageRootMode.OVERLAY, ""), refused);
        assertThat(disk.status()).isEqualTo(Status.WARN);
        assertThat(disk.detail()).isEqualTo("overlay: assembled an image root in a user namespace, as sandboxes do; with a"
                + " disk writable layer: overlay failed: mount overlay of 1 image layers as the new root: Invalid argument;"
                + " set by sandboxed.image.rootfs");
        assertThat(disk.fix()).isEqualTo("image sandboxes with a disk writable layer cannot start here: unset"
                + " sandboxed.image.rootfs or force another mode");
        CheckResult everywhere = check(host, "overlay", refused, refused);
        assertThat(everywhere.fix()).startsWith("image sandboxes cannot start here: unset sandboxed.image.rootfs");
        assertThat(forced).containsExactly(ImageRootMode.COPY, ImageRootMode.COPY, ImageRootMode.OVERLAY,
                ImageRootMode.OVERLAY, ImageRootMode.OVERLAY, ImageRootMode.OVERLAY);
    }

    @Test
    void aBadPropertyIsNamedWithoutAProbe() {
        FakeHost host = new FakeHost(root);
        CheckResult bad = check(host, "aufs", null, null);
        assertThat(bad.status()).isEqualTo(Status.WARN);
        assertThat(bad.detail()).isEqualTo("sandboxed.image.rootfs: 'aufs'; allowed: overlay, fuse-overlayfs, copy");
        CheckResult noFuse = check(host, "fuse-overlayfs", null, null);
        assertThat(noFuse.detail()).isEqualTo("sandboxed.image.rootfs: fuse-overlayfs cannot be used: fuse-overlayfs is"
                + " not installed (apt-get install fuse-overlayfs)");
        assertThat(probed).isEmpty();
    }

    @Test
    void theProbesLineIsParsed() {
        assertThat(ImageRootProbe.parse("overlay\n")).isEqualTo(assembled(ImageRootMode.OVERLAY, ""));
        assertThat(ImageRootProbe.parse("copy\toverlay refused: x: Invalid argument\n"))
                .isEqualTo(assembled(ImageRootMode.COPY, "overlay refused: x: Invalid argument"));
        assertThat(ImageRootProbe.parse("failed\tcopy\tcopy: No space left on device\n"))
                .isEqualTo(new Outcome(Verdict.FAILED, ImageRootMode.COPY, "copy: No space left on device"));
        assertThat(ImageRootProbe.parse("garbage").verdict()).isEqualTo(Verdict.NOT_PROBED);
    }
}
