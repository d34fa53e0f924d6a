package dev.sandboxed.core.internal.rootfs;

import static dev.sandboxed.core.internal.protocol.Protocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;

/** The set-up description Java computes for sandbox-init: what is mounted where, in which order. */
class MountPlanTest {

    private static List<String> describe(MountPlan plan) {
        return plan.ops().stream().map(MountOp::toString).toList();
    }

    @Test
    void hostViewHidesHomesRunAndTmpAndMasksKernelPaths() {
        MountPlan plan = MountPlan.forSpec(SandboxSpec.defaults(), Optional.of(Path.of("/srv/users/alice")));
        List<String> ops = describe(plan);
        assertThat(plan.rootBind()).isEmpty();
        assertThat(ops).contains("bind /usr on /usr (ro)", "mount tmpfs on /run (mode=0755)", "mount tmpfs on /home (mode=0755)",
                "mount tmpfs on /root (mode=0700)", "mount tmpfs on /srv/users/alice (mode=0700)", "mount proc on /proc",
                "mount tmpfs on /tmp (mode=1777,size=1073741824)", "mount tmpfs on /dev/shm (mode=1777,size=67108864)", "mount sysfs on /sys", "symlink /dev/ptmx -> pts/ptmx");
        assertThat(ops).doesNotContain("bind /proc on /proc (ro)", "bind /run on /run (ro)", "bind /home on /home (ro)");
        for (String masked : MountPlan.MASKED_PATHS) {
            assertThat(ops).contains("mask " + masked);
        }
        for (String ro : MountPlan.READ_ONLY_PATHS) {
            assertThat(ops).contains("read-only " + ro);
        }
        // Masks come after /proc is mounted, or they would hide nothing.
        assertThat(ops.indexOf("mask /proc/kcore")).isGreaterThan(ops.indexOf("mount proc on /proc"));
    }

    @Test
    void hostBindsAreRecursiveReadOnlyNosuidNodev() {
        MountOp usr = MountPlan.forSpec(SandboxSpec.defaults(), Optional.empty()).ops().stream()
                .filter(op -> op.op() == OP_BIND && op.target().equals("/usr")).findFirst().orElseThrow();
        assertThat(usr.flags() & (OPF_RDONLY | OPF_RECURSIVE | OPF_NOSUID | OPF_NODEV))
                .isEqualTo(OPF_RDONLY | OPF_RECURSIVE | OPF_NOSUID | OPF_NODEV);
    }

    @Test
    void hostNetworkKeepsTheHostsSysfsReadOnly() {
        List<String> ops = describe(MountPlan.forSpec(SandboxSpec.builder().network(NetworkMode.HOST).build(), Optional.empty()));
        assertThat(ops).contains("bind /sys on /sys (ro)").doesNotContain("mount sysfs on /sys");
    }

    @Test
    void homeCanBeShownReadOnly() {
        List<String> ops = describe(MountPlan.forSpec(SandboxSpec.builder().hideHome(false).build(), Optional.empty()));
        assertThat(ops).contains("bind /home on /home (ro)").doesNotContain("mount tmpfs on /home (mode=0755)");
    }

    @Test
    void userMountsComeLastAndReadOnlyRootIsTheFinalStep(@TempDir Path dir) {
        List<String> ops = describe(MountPlan.forSpec(SandboxSpec.builder().bindWritable(dir.toString(), "/work")
                .tmpfs("/cache", 1 << 20).readOnlyRoot(true).build(), Optional.empty()));
        int n = ops.size();
        assertThat(ops.subList(n - 3, n)).containsExactly("bind " + dir + " on /work (rw)",
                "mount tmpfs on /cache (mode=1777,size=1048576)", "read-only root");
    }

    @Test
    void directoryRootIsBoundAndGetsItsMountPoints(@TempDir Path root) {
        MountPlan plan = MountPlan.forSpec(SandboxSpec.builder().rootfs(RootFs.directory(root)).build(), Optional.empty());
        assertThat(plan.rootBind()).contains(root.toString());
        assertThat(describe(plan)).startsWith("mkdir /proc", "mkdir /dev", "mkdir /tmp").doesNotContain("bind /usr on /usr (ro)");
    }

    @Test
    void encodingIsTheWireLayout() {
        byte[] bytes = MountOp.bind("/src", "/dst", OPF_RDONLY).encode();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        assertThat(b.getInt()).isEqualTo(OP_BIND);
        assertThat(b.getInt()).isEqualTo(OPF_RDONLY);
        assertThat(b.getLong()).isZero();
        assertThat(new String(bytes, 16, bytes.length - 16, StandardCharsets.UTF_8)).isEqualTo("/src\0/dst\0\0\0");
    }

    @Test
    void anImageRootStacksItsLayersTopmostFirstWithTheUsualMounts(@TempDir Path cache)
            throws IOException {
        Path lower = Files.createDirectories(cache.resolve("layers/sha256/" + "a".repeat(64)));
        Path upper = Files.createDirectories(cache.resolve("layers/sha256/" + "b".repeat(64)));
        Image image = new Image("test", "sha256:" + "0".repeat(64),
                "sha256:" + "1".repeat(64), "linux/amd64", new ImageConfig(List.of(), List.of(),
                        List.of("A=1"), "/srv/app", "", Set.of(), Optional.empty(), "", Map.of()),
                List.of(lower, upper), 0);
        SandboxSpec spec = SandboxSpec.builder().image(image).build();
        MountPlan plan = MountPlan.forSpec(spec, Optional.empty());
        assertThat(plan.rootBind()).isEmpty();
        assertThat(plan.rootLayers()).containsExactly(upper.toString(), lower.toString());
        List<String> ops = describe(plan);
        assertThat(ops).contains("mount proc on /proc", "mkdir /srv/app",
                "mask /proc/kcore", "bind /etc/resolv.conf on /etc/resolv.conf (ro)");
        assertThat(ops).anyMatch(op -> op.startsWith("mount tmpfs on /tmp (mode=1777,size="));
        assertThat(ops).noneMatch(op -> op.startsWith("bind /usr"));
        assertThat(ops.stream().filter(op -> op.endsWith("on /etc/hosts (ro)") || op.endsWith("on /etc/hostname (ro)")))
                .hasSize(2).allSatisfy(op -> assertThat(op).contains(cache.resolve("etc").toString()));
        assertThat(spec.environment()).containsEntry("A", "1").containsKey("PATH");
        assertThat(spec.workdir()).isEqualTo("/srv/app");
    }
}
