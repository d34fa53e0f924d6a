package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.FakeHost;

/** doctor's "image roots" line: which way image roots are assembled on a host, and why. */
class ImageRootCheckTest {
    @TempDir
    Path root;

    private CheckResult check(FakeHost host, String property) {
        return new ImageRootCheck(host.environment(), Optional.ofNullable(property)).run();
    }

    @Test
    void overlayOnANewKernel() {
        CheckResult r = check(new FakeHost(root).kernel("6.1.0").proc("filesystems", "nodev\toverlay\n"), null);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).isEqualTo("overlay: the kernel's overlayfs mounts in user namespaces");
    }

    @Test
    void fuseOverlayfsBefore511WhereInstalledAndDevFuseOpens() {
        FakeHost host = new FakeHost(root).kernel("5.10.0").proc("filesystems", "nodev\toverlay\n")
                .executable("/usr/bin/fuse-overlayfs").file("/dev/fuse", "");
        CheckResult r = check(host, null);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).startsWith("fuse-overlayfs (" + root + "/usr/bin/fuse-overlayfs): Linux 5.10.0 does not"
                + " mount overlayfs in user namespaces (5.11+)");
    }

    @Test
    void aCopyWithoutFuseOverlayfsSaysWhyAndTheFix() {
        CheckResult r = check(new FakeHost(root).kernel("5.10.0").proc("filesystems", "nodev\toverlay\n"), null);
        assertThat(r.status()).isEqualTo(Status.WARN);
        assertThat(r.detail()).isEqualTo("copy: Linux 5.10.0 does not mount overlayfs in user namespaces (5.11+), and"
                + " fuse-overlayfs is not installed (apt-get install fuse-overlayfs): every sandbox copies its image");
        assertThat(r.fix()).startsWith("apt-get install fuse-overlayfs");
    }

    @Test
    void thePropertyWinsAndABadValueIsNamed() {
        FakeHost host = new FakeHost(root).kernel("6.1.0").proc("filesystems", "nodev\toverlay\n");
        assertThat(check(host, "copy").detail()).isEqualTo("copy: set by sandboxed.image.rootfs");
        CheckResult bad = check(host, "aufs");
        assertThat(bad.status()).isEqualTo(Status.WARN);
        assertThat(bad.detail()).isEqualTo("sandboxed.image.rootfs: 'aufs'; allowed: overlay, fuse-overlayfs, copy");
        CheckResult noFuse = check(host, "fuse-overlayfs");
        assertThat(noFuse.detail()).isEqualTo("sandboxed.image.rootfs: fuse-overlayfs cannot be used: fuse-overlayfs is"
                + " not installed (apt-get install fuse-overlayfs)");
    }
}
