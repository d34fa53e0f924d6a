package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.doctor.ImageRootCheck;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.ExecutableLocator;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.rootfs.ImageRootChoice;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe;
import dev.sandboxed.core.internal.runtime.InitBinary;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.spec.WritableLayer;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TarBuilder;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * The three ways to assemble an image root, each forced on this host (whose kernel has overlayfs in user namespaces):
 * the same files, owners, whiteouts and opaque directories, writes private to the sandbox, and nothing left after.
 * The image, made with umoci: busybox; then a 999:999 directory, a file that the next layer whites out and a directory
 * of 501 files it makes opaque; then that layer.
 */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageRootModesTest {
    @TempDir
    static Path work;
    static Images images;
    static String source;
    static Image image;

    @BeforeAll
    static void build() throws Exception {
        image = ImageRootFixture.pull(work);
        images = ImageRootFixture.images(work);
        source = ImageRootFixture.source(work);
    }

    @AfterAll
    static void removeImage() {
        if (images != null) {
            images.remove(source);
        }
    }

    private static SandboxSpec.Builder spec(ImageRootMode mode) {
        return SandboxSpec.builder().image(image).user(UserSpec.ROOT).imageRootMode(mode);
    }

    private static ExecResult run(SandboxSpec spec, String script) {
        return Sandbox.run(spec, ProcessSpec.of("/bin/sh", "-c", script));
    }

    @ParameterizedTest
    @EnumSource(ImageRootMode.class)
    void sameFilesOwnersAndWhiteouts(ImageRootMode mode) {
        ExecResult r = run(spec(mode).build(), "stat -c '%n %u:%g %a' /data/pg /data/pg/PG_VERSION /data/current;"
                + " cat /data/pg/PG_VERSION; test -e /etc/gone || echo gone; ls /opq | tr '\\n' ' '; echo;"
                + " test -x /bin/busybox && echo busybox");
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("/data/pg 999:999 700\n/data/pg/PG_VERSION 999:999 600\n/data/current 999:999 777\n"
                + "16\ngone\nnew \nbusybox\n");
    }

    @ParameterizedTest
    @EnumSource(ImageRootMode.class)
    void writesArePrivateToTheSandbox(ImageRootMode mode) throws IOException {
        ExecResult write = run(spec(mode).build(), "echo 17 > /data/pg/PG_VERSION && echo changed > /opq/new && rm /bin/vi"
                + " && mkdir /new && cat /data/pg/PG_VERSION /opq/new");
        assertThat(write.succeeded()).as(write.toString()).isTrue();
        assertThat(write.stdout()).isEqualTo("17\nchanged\n");
        ExecResult fresh = run(spec(mode).build(), "cat /data/pg/PG_VERSION /opq/new; test -e /new || echo no-new; test -L /bin/vi && echo vi");
        assertThat(fresh.stdout()).isEqualTo("16\nnew\nno-new\nvi\n");
        assertThat(Files.readString(image.layers().get(2).resolve("opq/new"))).as("the layer on the host").isEqualTo("new\n");
    }

    @ParameterizedTest
    @EnumSource(ImageRootMode.class)
    void aProcessOfUid999WritesItsOwnDirectory(ImageRootMode mode) {
        ExecResult r = run(spec(mode).user(new UserSpec(999, 999)).build(),
                "echo row > /data/pg/table && stat -c '%u:%g' /data/pg/table && touch /etc/x 2>/dev/null || echo denied");
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("999:999\ndenied\n");
    }

    @ParameterizedTest
    @EnumSource(ImageRootMode.class)
    void aReadOnlyRootRefusesWrites(ImageRootMode mode) {
        ExecResult r = run(spec(mode).readOnlyRoot(true).build(), "echo x > /data/pg/PG_VERSION 2>/dev/null || echo refused;"
                + " cat /data/pg/PG_VERSION");
        assertThat(r.stdout()).isEqualTo("refused\n16\n");
    }

    /**
     * Signals to every process (signalAll, and stop's StopSignal) reach fuse-overlayfs's daemon too: it ignores them,
     * and SIGKILL and SIGSTOP pass it by, so the root stays for the trap that runs on the signal and later execs.
     */
    @ParameterizedTest
    @EnumSource(ImageRootMode.class)
    void signalsToTheWholeSandboxLeaveTheRoot(ImageRootMode mode) throws Exception {
        try (Sandbox sandbox = Sandbox.start(spec(mode).build())) {
            SandboxProcess trapping = sandbox.spawn(ProcessSpec.of("/bin/sh", "-c",
                    "trap 'cat /data/pg/PG_VERSION; exit 0' USR1; echo ready; while true; do sleep 0.1; done"));
            assertThat(new String(trapping.stdout().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
            sandbox.signalAll(10); // SIGUSR1, as an image's StopSignal
            assertThat(trapping.waitFor(Duration.ofSeconds(30))).as("the trap ran").hasValueSatisfying(s -> assertThat(s.exitCode()).isZero());
            assertThat(new String(trapping.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("16\n");
            for (int signal : new int[] {1, 2, 15, 12, 19, 18, 9}) { // HUP, INT, TERM, USR2, STOP, CONT, KILL
                sandbox.signalAll(signal);
            }
            ExecResult after = sandbox.exec("/bin/cat", "/data/pg/PG_VERSION");
            assertThat(after.succeeded()).as(after.toString()).isTrue();
            assertThat(after.stdout()).isEqualTo("16\n");
        }
    }

    @Test
    void theFuseDaemonEndsWithTheSandbox() throws Exception {
        var mountsBefore = Probes.hostMountPoints();
        long daemon;
        try (Sandbox sandbox = Sandbox.start(spec(ImageRootMode.FUSE_OVERLAYFS).build())) {
            assertThat(sandbox.exec("/bin/sh", "-c", "awk '$5 == \"/\" { print $(NF - 2) }' /proc/self/mountinfo").stdout())
                    .isEqualTo("fuse.fuse-overlayfs\n");
            Optional<Long> found = ImageRootFixture.fuseDaemonOf(sandbox.pid());
            assertThat(found).as("fuse-overlayfs, a child of the sandbox's init").isPresent();
            daemon = found.get();
        }
        assertThat(Probes.eventually(10, () -> !Probes.processAlive(daemon))).as("daemon " + daemon + " ended").isTrue();
        assertThat(Probes.hostMountPoints()).isEqualTo(mountsBefore);
    }

    /**
     * The daemon runs with no_new_privs, a seccomp filter and only the capabilities it uses (see fusejail.c), and a
     * sandbox's root process, which lacks DAC_READ_SEARCH, can neither trace it nor read its memory or root.
     */
    @Test
    void theFuseDaemonIsConfinedAndOutOfReachOfTheSandboxsProcesses() throws Exception {
        try (Sandbox sandbox = Sandbox.start(spec(ImageRootMode.FUSE_OVERLAYFS).build())) {
            long daemon = ImageRootFixture.fuseDaemonOf(sandbox.pid()).orElseThrow();
            List<String> status = Files.readAllLines(Path.of("/proc/" + daemon + "/status"));
            // CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, MKNOD, SETFCAP
            long mask = ImageRootChoice.FUSE_DAEMON_CAPABILITIES.stream().mapToLong(c -> 1L << c.number()).sum();
            assertThat(String.format("%016x", mask)).as("Java's copy of the daemon's capabilities").isEqualTo("000000008800001f");
            assertThat(status).contains("NoNewPrivs:\t1", "Seccomp:\t2", "CapInh:\t0000000000000000",
                    "CapPrm:\t000000008800001f", "CapEff:\t000000008800001f", "CapBnd:\t000000008800001f",
                    "CapAmb:\t0000000000000000");
            ExecResult r = sandbox.exec("/bin/sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm)\" = fuse-overlayfs ]"
                    + " && d=${p#/proc/}; done; echo daemon=${d:+found};"
                    + " dd if=/proc/$d/mem of=/dev/null bs=1 count=1 2>/dev/null && echo mem-read || echo mem-refused;"
                    + " ls /proc/$d/root/ >/dev/null 2>&1 && echo root-listed || echo root-refused;"
                    + " readlink /proc/$d/fd/0 >/dev/null 2>&1 && echo fd-followed || echo fd-refused;"
                    + " cat /data/pg/PG_VERSION");
            assertThat(r.stdout()).as(r.toString())
                    .isEqualTo("daemon=found\nmem-refused\nroot-refused\nfd-refused\n16\n");
        }
    }

    /**
     * A process granted SYS_PTRACE, or every capability the daemon keeps, passes the kernel's ptrace access check on
     * the daemon, which shares the sandbox's pid namespace: it could attach and make syscalls under the daemon's
     * seccomp filter and capabilities. Such a sandbox never gets fuse-overlayfs. Forced, it is refused before anything
     * starts; in auto mode the fallback after a refused overlayfs is a copy.
     */
    @ParameterizedTest
    @ValueSource(strings = {"SYS_PTRACE", "DAC_READ_SEARCH"})
    void aSandboxWhoseCapabilitiesReachTheDaemonGetsNoFuseOverlayfs(String granted) {
        SandboxSpec forced = spec(ImageRootMode.FUSE_OVERLAYFS).addCapability(Capability.valueOf(granted)).build();
        Set<Capability> caps = forced.capabilities();
        assertThat(caps.contains(Capability.SYS_PTRACE) || caps.containsAll(ImageRootChoice.FUSE_DAEMON_CAPABILITIES))
                .as("with the defaults: %s", caps).isTrue();
        int before = SandboxRuntime.shared().openSandboxes().size();
        assertThatThrownBy(() -> Sandbox.start(forced)).isInstanceOf(SpecException.class)
                .hasMessage("imageRootMode: fuse-overlayfs cannot assemble the root of a sandbox granted SYS_PTRACE or"
                        + " all of CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, MKNOD, SETFCAP: its processes"
                        + " could take over the fuse-overlayfs daemon and leave the sandbox's seccomp filter; choose"
                        + " overlay or copy, or grant fewer capabilities");
        assertThat(SandboxRuntime.shared().openSandboxes()).hasSize(before);

        ImageRootChoice auto = ImageRootChoice.forSandbox(Optional.empty(), caps);
        assertThat(auto.fallback()).isTrue();
        assertThat(auto.helper()).as("no fuse-overlayfs to fall back to").isEmpty();
        assertThat(auto.describe()).endsWith("where it is refused, a copy (no fuse-overlayfs for a sandbox whose"
                + " capabilities reach its daemon)");
        if (ImageRootChoice.forSandbox(Optional.empty()).helper().isPresent()) {
            assertThat(ImageRootChoice.forSandbox(Optional.empty(), spec(ImageRootMode.COPY).build().capabilities())
                    .helper()).as("the default capabilities keep it").isPresent();
        }
    }

    /**
     * The daemon's root as /proc/DAEMON/root shows it to whoever passes the ptrace check on the daemon (this JVM: root,
     * or the user owning the sandbox's user namespace): a read-only tmpfs holding the layers the daemon serves, the
     * sandbox's writable layer, a read-only /usr with the loader's entries and a read-only /proc masked as the
     * sandbox's own. A file of the host's /tmp, the host's /etc/passwd and /home are not there. Writability is asked
     * with access(2), so a root that is the host's gets no file written. The sandbox's own processes never get this far
     * (see above): this root is defence in depth for a daemon taken over some other way.
     */
    @Test
    void theFuseDaemonsRootHoldsOnlyWhatItServes() throws Exception {
        Path marker = Files.writeString(Files.createTempFile(work, "host-marker", ""), "host\n");
        try (Sandbox sandbox = Sandbox.start(spec(ImageRootMode.FUSE_OVERLAYFS).build())) {
            String root = "/proc/" + ImageRootFixture.fuseDaemonOf(sandbox.pid()).orElseThrow() + "/root";
            assertThat(Path.of(root, "tmp/upper")).as("the sandbox's writable layer").isDirectory();
            assertThat(names(Path.of(root))).as("the daemon's root").contains("proc", "tmp", "usr")
                    .isSubsetOf("bin", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr");
            assertThat(names(Path.of(root, "etc"))).as("its /etc").isSubsetOf("ld.so.cache");
            assertThat(Path.of(root + marker)).as("a file of the host's " + marker.getParent()).doesNotExist();
            assertThat(Path.of(root, "etc/passwd")).doesNotExist();
            assertThat(Path.of(root, "home")).doesNotExist();
            assertThat(Files.isWritable(Path.of(root, "tmp/upper"))).as("the writable layer is").isTrue();
            assertThat(Files.isWritable(Path.of(root))).as("its root is read-only").isFalse();
            assertThat(Files.isWritable(Path.of(root, "usr"))).as("its /usr is read-only").isFalse();
            for (String file : new String[] {"proc/keys", "proc/timer_list"}) {
                assertThat(Files.readAttributes(Path.of(root, file), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .isOther()).as("%s is the null device", file).isTrue();
            }
            assertThat(sandbox.exec("/bin/cat", "/data/pg/PG_VERSION").stdout()).isEqualTo("16\n");
        }
    }

    private static List<String> names(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (var entries = Files.list(directory)) {
            return entries.map(e -> e.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDiskLayerTakesMoreThanATmpfsLimitAndGoesWithTheSandbox() throws Exception {
        String write = "dd if=/dev/zero of=/big bs=1M count=24 2>/dev/null && echo wrote || echo full";
        ExecResult small = run(spec(ImageRootMode.OVERLAY).writableLayer(WritableLayer.tmpfs(16L << 20)).build(), write);
        assertThat(small.stdout()).isEqualTo("full\n");
        Path layers = ImageRootFixture.diskLayers();
        List<Path> before = ImageRootFixture.list(layers);
        try (Sandbox sandbox = Sandbox.start(spec(ImageRootMode.OVERLAY).writableLayer(WritableLayer.disk()).build())) {
            assertThat(sandbox.exec("/bin/sh", "-c", write + "; mkdir -p /d/e && chmod 000 /d").stdout()).isEqualTo("wrote\n");
            assertThat(layers.resolve(sandbox.id())).isDirectory();
        }
        assertThat(ImageRootFixture.list(layers)).isEqualTo(before);
    }

    /** doctor probes a mode the property forces for real, alone: each assembles a root here, on both writable layers. */
    @ParameterizedTest
    @EnumSource(ImageRootMode.class)
    void doctorProbesAForcedMode(ImageRootMode mode) {
        HostEnvironment host = HostEnvironment.system();
        ImageRootProbe probe = new ImageRootProbe(host.commands(), InitBinary::locate, ImageCache.defaultDirectory());
        CheckResult line = new ImageRootCheck(host, Optional.of(mode.toString()), probe::probe).run();
        String helper = mode == ImageRootMode.FUSE_OVERLAYFS
                ? " (" + new ExecutableLocator(host).find("fuse-overlayfs").orElseThrow() + ")" : "";
        assertThat(line.detail()).isEqualTo(mode + helper + ": assembled an image root in a user namespace, as sandboxes"
                + " do; set by sandboxed.image.rootfs");
        assertThat(line.status()).isEqualTo(CheckResult.Status.OK);
    }

    @Test
    void anInvalidPropertyNamesItAndTheAllowedValues() {
        assertThatThrownBy(() -> ImageRootMode.parse("aufs")).isInstanceOf(SpecException.class)
                .hasMessage("sandboxed.image.rootfs: 'aufs'; allowed: overlay, fuse-overlayfs, copy");
        assertThat(ImageRootChoice.forSandbox(Optional.empty()).mode()).as("this host's kernel").isEqualTo(ImageRootMode.OVERLAY);
    }

    /** Not a test: builds the image in {@code work} (shared with the killed-JVM test's child). */
    static final class ImageRootFixture {
        private ImageRootFixture() {
        }

        static String source(Path work) {
            return "oci:" + work.resolve("layout") + ":modes";
        }

        static Images images(Path work) {
            return Images.builder().cacheDirectory(work.resolve("cache")).build();
        }

        static Image pull(Path work) throws Exception {
            TestRegistry registry = TestRegistry.get();
            Path layout = work.resolve("layout");
            String base = layout + ":modes";
            TestRegistry.run("umoci", "init", "--layout", layout.toString());
            TestRegistry.run("umoci", "new", "--image", base);
            TestRegistry.run("umoci", "insert", "--rootless", "--image", base, registry.work().resolve("rootfs").toString(), "/");
            TarBuilder first = new TarBuilder().ownedDir("data", 0755, 0, 0).ownedDir("data/pg", 0700, 999, 999)
                    .ownedFile("data/pg/PG_VERSION", "16\n", 0600, 999, 999).ownedSymlink("data/current", "pg", 999, 999)
                    .file("etc/gone", "x").dir("opq", 0755).file("opq/old", "old");
            for (int i = 0; i < 500; i++) { // enough that removing while reading the directory hides some from readdir
                first.file("opq/many-" + i, "x");
            }
            byte[] owners = first.build();
            byte[] later = new TarBuilder().file("etc/.wh.gone", "").dir("opq", 0755).file("opq/.wh..wh..opq", "")
                    .file("opq/new", "new\n").build();
            TestRegistry.run("umoci", "raw", "add-layer", "--image", base, Files.write(work.resolve("owners.tar"), owners).toString());
            TestRegistry.run("umoci", "raw", "add-layer", "--image", base, Files.write(work.resolve("later.tar"), later).toString());
            return images(work).pull(source(work));
        }

        static Path diskLayers() {
            return dev.sandboxed.core.internal.image.ImageCache.defaultDirectory().resolve("writable");
        }

        static List<Path> list(Path dir) throws IOException {
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (var entries = Files.list(dir)) {
                return entries.sorted().toList();
            }
        }

        /** The fuse-overlayfs process whose parent is {@code initPid}. */
        static Optional<Long> fuseDaemonOf(long initPid) {
            return ProcessHandle.allProcesses()
                    .filter(p -> p.parent().map(ProcessHandle::pid).orElse(0L) == initPid)
                    .filter(p -> p.info().command().orElse("").endsWith("fuse-overlayfs"))
                    .map(ProcessHandle::pid).findFirst();
        }
    }
}
