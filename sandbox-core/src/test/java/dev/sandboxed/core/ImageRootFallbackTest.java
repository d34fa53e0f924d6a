package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.doctor.ImageRootCheck;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.ExecutableLocator;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.rootfs.ImageRootFallbacks;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe;
import dev.sandboxed.core.internal.runtime.InitBinary;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.spec.WritableLayer;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TarBuilder;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * overlayfs refused for a real reason on this host, where it otherwise mounts in user namespaces: the disk writable
 * layers' directory is on a FUSE file system (a fuse-overlayfs mount of the test's, as a home directory on sshfs or a
 * FUSE-encrypted one would be), which overlayfs refuses as an upper layer ("upper fs missing required features",
 * EINVAL). An auto choice falls back to fuse-overlayfs, says so once and remembers it; a forced overlay fails with one
 * line naming the mode, the fix and the error; a tmpfs writable layer keeps the kernel's overlayfs meanwhile.
 */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageRootFallbackTest {
    @TempDir
    static Path work;
    static Image image;
    static Path mount;
    static String cacheBefore;

    final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    final Logger logger = Logger.getLogger(ImageRootFallbacks.class.getName());
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    Level levelBefore;

    /**
     * busybox, then a layer with every directory and file the sandbox mounts on: fuse-overlayfs, where overlayfs falls
     * back to here, cannot make directories on this upper (it marks them opaque with its own user.fuseoverlayfs.*
     * attributes, which the host's fuse-overlayfs, the upper's file system, refuses to let anyone set). All owned by
     * root: rootless, the host's FUSE server (this user) could not give files other owners.
     */
    @BeforeAll
    static void build() throws Exception {
        TestRegistry registry = TestRegistry.get();
        Path layout = work.resolve("layout");
        String base = layout + ":fallback";
        TestRegistry.run("umoci", "init", "--layout", layout.toString());
        TestRegistry.run("umoci", "new", "--image", base);
        TestRegistry.run("umoci", "insert", "--rootless", "--image", base, registry.work().resolve("rootfs").toString(), "/");
        TarBuilder mountPoints = new TarBuilder().file("etc/hostname", "x\n").file("etc/hosts", "").file("etc/resolv.conf", "");
        for (String dir : List.of("proc", "dev", "tmp", "sys", "run")) {
            mountPoints.dir(dir, 0755);
        }
        TestRegistry.run("umoci", "raw", "add-layer", "--image", base,
                Files.write(work.resolve("mounts.tar"), mountPoints.build()).toString());
        image = images().pull(source());
        // The disk layers' directory, writable/ beside the cache, on FUSE: a fuse-overlayfs of an empty directory.
        Path fuse = work.resolve("fuse");
        for (String dir : List.of("lower", "upper", "work")) {
            Files.createDirectories(fuse.resolve(dir));
        }
        Files.setPosixFilePermissions(fuse.resolve("upper"), PosixFilePermissions.fromString("rwx------"));
        Path disk = work.resolve("disk-cache");
        mount = Files.createDirectories(disk.resolve("writable"));
        String options = "lowerdir=" + fuse.resolve("lower") + ",upperdir=" + fuse.resolve("upper") + ",workdir="
                + fuse.resolve("work");
        // Root's FUSE mount lets only uid 0 in unless allow_other; an ordinary user's needs no more (its own uid).
        TestRegistry.run("fuse-overlayfs", "-o", (HostFacts.current().isRoot() ? "allow_other," : "") + options,
                mount.toString());
        cacheBefore = System.setProperty(ImageCache.PROPERTY, disk.toString());
        ImageRootProbe.Outcome onFuse = probe().probe(Optional.empty(), true);
        refused = onFuse.verdict() == ImageRootProbe.Verdict.ASSEMBLED && !onFuse.detail().isEmpty();
    }

    /**
     * Whether overlayfs refuses the FUSE upper here. It refuses root's fuse-overlayfs mount (no O_TMPFILE, no
     * RENAME_WHITEOUT through it: "upper fs missing required features"), but on Linux 6.18 takes an ordinary user's,
     * which does both: then there is no real refusal to test with, and the tests that need one are skipped.
     */
    static boolean refused;

    private static ImageRootProbe probe() {
        HostEnvironment host = HostEnvironment.system();
        return new ImageRootProbe(host.commands(), InitBinary::locate, ImageCache.defaultDirectory());
    }

    @BeforeEach
    void needsARefusal() {
        assumeTrue(refused, "overlayfs takes this user's FUSE mount as an upper layer on this kernel: nothing to refuse");
    }

    @AfterAll
    static void unmount() throws Exception {
        if (cacheBefore == null) {
            System.clearProperty(ImageCache.PROPERTY);
        } else {
            System.setProperty(ImageCache.PROPERTY, cacheBefore);
        }
        if (mount != null) {
            TestRegistry.run("fusermount3", "-u", mount.toString());
        }
        if (image != null) {
            images().remove(source());
        }
    }

    private static String source() {
        return "oci:" + work.resolve("layout") + ":fallback";
    }

    private static Images images() {
        return Images.builder().cacheDirectory(work.resolve("cache")).build();
    }

    @BeforeEach
    void captureLog() {
        levelBefore = logger.getLevel();
        logger.setLevel(Level.ALL);
        logger.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        logger.removeHandler(capture);
        logger.setLevel(levelBefore);
    }

    private static SandboxSpec.Builder onFuseDisk() {
        return SandboxSpec.builder().image(image).user(UserSpec.ROOT).writableLayer(WritableLayer.disk());
    }

    private static String rootType(Sandbox sandbox) {
        return sandbox.exec("/bin/sh", "-c", "awk '$5 == \"/\" { print $(NF - 2) }' /proc/self/mountinfo").stdout();
    }

    @Test
    void aRefusedOverlayFallsBackOnceAndIsRemembered() throws Exception {
        var mountsBefore = Probes.hostMountPoints();
        List<Path> layersBefore = ImageRootModesTest.ImageRootFixture.list(mount);
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            try (Sandbox first = runtime.start(onFuseDisk().build())) {
                assertThat(rootType(first)).isEqualTo("fuse.fuse-overlayfs\n");
                var write = first.exec("/bin/sh", "-c", "echo kept > /new && cat /new && test -x /bin/busybox && echo busybox");
                assertThat(write.stdout()).as(write.toString()).isEqualTo("kept\nbusybox\n");
            }
            assertThat(logged).singleElement().satisfies(r -> {
                assertThat(r.getLevel()).isEqualTo(Level.INFO);
                assertThat(r.getMessage()).startsWith("image roots: overlay refused: mount overlay of 2 image layers as"
                        + " the new root: Invalid argument; using fuse-overlayfs for image layers in ")
                        .contains("with a disk writable layer in " + mount).endsWith("from now on in this runtime");
            });
            for (int i = 0; i < 2; i++) {
                try (Sandbox later = runtime.start(onFuseDisk().build())) {
                    assertThat(rootType(later)).isEqualTo("fuse.fuse-overlayfs\n");
                }
            }
            assertThat(logged).as("no further refusal, not even at DEBUG").hasSize(1);
            try (Sandbox tmpfs = runtime.start(onFuseDisk().writableLayer(WritableLayer.tmpfs(16L << 20)).build())) {
                assertThat(rootType(tmpfs)).as("a tmpfs writable layer, which overlayfs takes").isEqualTo("overlay\n");
            }
        }
        assertThat(ImageRootModesTest.ImageRootFixture.list(mount)).isEqualTo(layersBefore);
        assertThat(Probes.hostMountPoints()).isEqualTo(mountsBefore);
    }

    /**
     * doctor assembles roots for real: the tmpfs one with overlayfs, the disk one with fuse-overlayfs after overlayfs's
     * refusal, or with a copy where there is no fuse-overlayfs.
     */
    @Test
    void doctorProbesAndNamesTheFallbackOfDiskLayers() throws Exception {
        HostEnvironment host = HostEnvironment.system();
        CheckResult line = new ImageRootCheck(host, Optional.empty(), probe()::probe).run();
        assertThat(line.status()).isEqualTo(CheckResult.Status.OK);
        assertThat(line.detail()).isEqualTo("overlay: assembled an image root in a user namespace, as sandboxes do;"
                + " with a disk writable layer: fuse-overlayfs (" + new ExecutableLocator(host).find("fuse-overlayfs")
                        .orElseThrow() + "): overlay refused: mount overlay of 1 image layers as the new root: Invalid"
                + " argument");
        assertThat(probe().probe(Optional.empty(), true)).as("without fuse-overlayfs: a copy").isEqualTo(
                new ImageRootProbe.Outcome(ImageRootProbe.Verdict.ASSEMBLED, ImageRootMode.COPY, "overlay refused: mount"
                        + " overlay of 1 image layers as the new root: Invalid argument"));
        assertThat(ImageRootModesTest.ImageRootFixture.list(mount)).as("the probe's directories are gone").isEmpty();
        try (var left = Files.list(ImageCache.defaultDirectory())) {
            assertThat(left.filter(p -> p.getFileName().toString().startsWith("probe-")).toList()).isEmpty();
        }
    }

    @Test
    void aForcedOverlayFailsWithOneLineNamingTheModeTheFixAndTheError() throws Exception {
        List<Path> layersBefore = ImageRootModesTest.ImageRootFixture.list(mount);
        assertThatThrownBy(() -> Sandbox.start(onFuseDisk().imageRootMode(ImageRootMode.OVERLAY).build()))
                .isInstanceOf(SandboxException.class)
                .hasMessage("image root mode overlay (asked for by the sandbox's spec; fix: leave"
                        + " SandboxSpec.Builder.imageRootMode unset, so that a mode this host refuses falls back to"
                        + " fuse-overlayfs or a copy, or force another) failed: mount overlay of 2 image layers as the"
                        + " new root: Invalid argument (EINVAL)");
        String before = System.setProperty(ImageRootMode.PROPERTY, "overlay");
        try {
            assertThatThrownBy(() -> Sandbox.start(onFuseDisk().build())).isInstanceOf(SandboxException.class)
                    .hasMessageStartingWith("image root mode overlay (set by sandboxed.image.rootfs; fix: leave"
                            + " sandboxed.image.rootfs unset,").hasMessageEndingWith("(EINVAL)");
        } finally {
            if (before == null) {
                System.clearProperty(ImageRootMode.PROPERTY);
            } else {
                System.setProperty(ImageRootMode.PROPERTY, before);
            }
        }
        assertThat(logged).as("a forced mode never falls back").isEmpty();
        assertThat(ImageRootModesTest.ImageRootFixture.list(mount)).isEqualTo(layersBefore);
    }
}
