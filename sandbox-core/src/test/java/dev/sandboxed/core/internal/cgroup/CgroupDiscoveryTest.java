package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery from mountinfo and /proc/self/cgroup samples in src/test/resources/cgroup. */
class CgroupDiscoveryTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = CgroupDiscoveryTest.class.getResourceAsStream("/cgroup/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static CgroupLayout discover(String sample) throws IOException {
        return CgroupDiscovery.discover(resource("mountinfo-" + sample + ".txt"),
                resource("proc-cgroup-" + sample + ".txt"));
    }

    @Test
    void pureV2SystemdHost() throws IOException {
        CgroupLayout l = discover("v2-systemd");
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.V2);
        assertThat(l.v1()).isEmpty();
        assertThat(l.unified()).get().satisfies(h -> {
            assertThat(h.mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup"));
            assertThat(h.ownDir()).contains(Path.of(
                    "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r3b1f0c.scope"));
        });
    }

    @Test
    void aHybridHostGivesTheV1ControllersUnlessV2IsAskedFor(@TempDir Path dir) throws IOException {
        Path mountinfo = Files.writeString(dir.resolve("mountinfo"), resource("mountinfo-hybrid-v1.txt"));
        Path procCgroup = Files.writeString(dir.resolve("cgroup"), resource("proc-cgroup-hybrid-v1.txt"));
        CgroupConfig.Builder config = CgroupConfig.builder().mountinfo(mountinfo).procCgroup(procCgroup);
        assertThat(CgroupManager.detect(config.build()).version()).isEqualTo("v1");
        assertThat(CgroupManager.detect(config.preferV2(true).build()).version()).isEqualTo("v2");
    }

    @Test
    void hybridHostLikeThisCiMachine() throws IOException {
        CgroupLayout l = discover("hybrid-v1");
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.HYBRID);
        assertThat(l.describe()).isEqualTo("hybrid");
        assertThat(l.unified()).get().extracting(CgroupLayout.Hierarchy::mountPoint)
                .isEqualTo(Path.of("/sys/fs/cgroup/unified"));
        assertThat(l.v1().keySet()).containsExactlyInAnyOrder("cpu", "cpuacct", "cpuset", "memory", "devices",
                "freezer", "blkio", "pids", "name=systemd");
        assertThat(l.v1().get("memory").ownDir()).contains(
                Path.of("/sys/fs/cgroup/memory/process_api/b945e75cabe7fe35b9cb633ccc1f208a"));
        assertThat(l.v1().get("pids").ownDir()).contains(Path.of("/sys/fs/cgroup/pids"));
        assertThat(CgroupManager.detect(CgroupConfig.builder().mountinfo(Path.of("/dev/null")).build()).version())
                .isEqualTo("none");
    }

    @Test
    void containerMountRootsCoMountedControllersAndEscapedMountPoints() throws IOException {
        CgroupLayout l = discover("v1-docker");
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.V1);
        CgroupLayout.Hierarchy cpu = l.v1().get("cpu");
        assertThat(l.v1().get("cpuacct")).isSameAs(cpu);
        assertThat(cpu.controllers()).isEqualTo(Set.of("cpu", "cpuacct"));
        assertThat(cpu.mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup/cpu,cpuacct"));
        // Mount root /docker/4f2a is the container's own cgroup: it is the mount point itself.
        assertThat(cpu.ownDir()).contains(Path.of("/sys/fs/cgroup/cpu,cpuacct"));
        assertThat(l.v1().get("memory").ownDir()).contains(Path.of("/sys/fs/cgroup/memory"));
        assertThat(l.v1().get("freezer").mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup/my cgroups"));
        assertThat(l.v1().get("freezer").ownDir()).contains(Path.of("/sys/fs/cgroup/my cgroups/docker/4f2a/inner"));
        assertThat(l.v1().get("name=systemd").controllers()).containsExactly("name=systemd");
    }

    @Test
    void cgroupOutsideTheMountRootIsNotVisible() {
        MountInfo m = new MountInfo("/docker/4f2a", Path.of("/sys/fs/cgroup/memory"), "cgroup", Set.of("memory"));
        assertThat(CgroupDiscovery.ownDir(m, "/docker/other")).isEmpty();
        assertThat(CgroupDiscovery.ownDir(m, "/docker/4f2a/x")).contains(Path.of("/sys/fs/cgroup/memory/x"));
        MountInfo ns = new MountInfo("/", Path.of("/sys/fs/cgroup"), "cgroup2", Set.of());
        assertThat(CgroupDiscovery.ownDir(ns, "/../../user.slice")).isEmpty(); // other cgroup namespace
        assertThat(CgroupDiscovery.ownDir(ns, "/")).contains(Path.of("/sys/fs/cgroup"));
        assertThat(CgroupDiscovery.ownDir(ns, null)).isEqualTo(Optional.empty());
    }

    @Test
    void noCgroupMountsMeansNone() {
        CgroupLayout l = CgroupDiscovery.discover("28 1 259:2 / / rw - ext4 /dev/sda1 rw\n", "0::/\n");
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.NONE);
    }

    @Test
    void parsesMountinfoEscapesAndSuperOptions() {
        assertThat(MountInfo.unescape("a\\040b\\011c\\134d")).isEqualTo("a b\tc\\d");
        assertThat(MountInfo.unescape("trailing\\04")).isEqualTo("trailing\\04");
        assertThat(MountInfo.parse("1 2 0:3 / /x rw shared:1 master:2 - cgroup cgroup rw,nosuid,cpuset,clone_children"))
                .singleElement().satisfies(m -> assertThat(m.controllers()).containsExactly("cpuset"));
    }

    @Test
    void procCgroupLinesMapEveryControllerOfAHierarchy() {
        assertThat(CgroupDiscovery.parseProcCgroup("3:cpu,cpuacct:/a\n0::/b\n1:name=systemd:/c\n"))
                .containsEntry("cpu", "/a").containsEntry("cpuacct", "/a").containsEntry("", "/b")
                .containsEntry("name=systemd", "/c");
    }

    @Test
    void aV1OrV2MountWithFavordynmodsIsFoundAndOtherFilesystemsAreNot() {
        String sysfsOnly = "24 1 0:22 / /sys rw - sysfs sysfs rw,favordynmods\n";
        assertThat(MountInfo.favoringDynamicMoves(sysfsOnly)).isEmpty();
        String v1 = sysfsOnly + "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                + "33 31 0:30 / /sys/fs/cgroup/my\\040pids rw,relatime - cgroup cgroup rw,pids,favordynmods\n";
        assertThat(MountInfo.favoringDynamicMoves(v1)).contains(Path.of("/sys/fs/cgroup/my pids"));
        assertThat(MountInfo.favoringDynamicMoves(v1.replace(",favordynmods", ""))).isEmpty();
    }
}
