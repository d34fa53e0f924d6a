package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SpecException;

/**
 * v1 placement decisions for a rootless user (uid 1000) on a tree of root-owned v1 mounts in a temp directory,
 * and v1 stats parsing. Creating real v1 cgroups is covered by CgroupRealHostTest.
 */
class CgroupV1CheckTest {
    static final int UID = 1000;
    static final List<String> HIERARCHIES = List.of("cpu", "cpuacct", "cpuset", "memory", "pids", "freezer");

    @TempDir
    Path tmp;
    Path root;
    FakeCgroup2Kernel access; // used only for its uid-based permission checks on plain directories

    @BeforeEach
    void setUp() throws Exception {
        root = tmp.resolve("sys-fs-cgroup");
        access = new FakeCgroup2Kernel(tmp.resolve("unused-v2"), UID);
        StringBuilder mi = new StringBuilder();
        StringBuilder pc = new StringBuilder();
        int id = 31;
        for (String h : HIERARCHIES) {
            Path mount = Files.createDirectories(root.resolve(h));
            Files.writeString(mount.resolve("cgroup.procs"), "1\n");
            mi.append(id).append(" 30 0:").append(id).append(" / ").append(mount)
                    .append(" rw,relatime - cgroup cgroup rw,").append(h).append('\n');
            pc.append(id).append(':').append(h).append(":/\n");
            id++;
        }
        Files.writeString(tmp.resolve("mountinfo"), mi);
        Files.writeString(tmp.resolve("cgroup"), pc);
    }

    private CgroupManager manager(String parent) {
        return CgroupManager.detect(CgroupConfig.builder().mountinfo(tmp.resolve("mountinfo"))
                .procCgroup(tmp.resolve("cgroup")).parent(parent).fs(access).build());
    }

    @Test
    void rootlessWithoutParentFailsWithChownFix() {
        CgroupManager m = manager(null);
        assertThat(m.version()).isEqualTo("v1");
        CheckResult r = m.check(ResourceLimits.NONE.withMemoryMax(64L << 20).withPidsMax(10));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("memory: " + root.resolve("memory") + " is not writable by uid 1000");
        String dirs = root.resolve("memory") + "/sandboxed-ci " + root.resolve("pids") + "/sandboxed-ci";
        assertThat(r.fix()).isEqualTo("sudo mkdir -p " + dirs + " && sudo chown -R "
                + System.getProperty("user.name") + " " + dirs + " && run with -Dsandboxed.cgroup.parent=sandboxed-ci");
        assertThatThrownBy(() -> m.create("x", ResourceLimits.NONE.withPidsMax(10)))
                .isInstanceOf(CgroupException.class).hasMessageContaining("sudo mkdir -p");
        // No limits: runs without cgroups.
        assertThat(m.check(ResourceLimits.NONE).status()).isEqualTo(CheckResult.Status.WARN);
        assertThat(m.create("x", ResourceLimits.NONE).procsFiles()).isEmpty();
    }

    @Test
    void chownedParentIsUsable() throws Exception {
        for (String h : List.of("memory", "pids", "cpu", "cpuacct", "cpuset")) {
            FakeCgroup2Kernel.chown(Files.createDirectories(root.resolve(h).resolve("sandboxed-ci")), UID);
        }
        CgroupManager m = manager("sandboxed-ci");
        CheckResult r = m.check(ResourceLimits.NONE.withMemoryMax(64L << 20).withCpus(1).withPidsMax(9));
        // freezer is not chowned: optional (kill works without it), so still OK.
        assertThat(r.status()).isEqualTo(CheckResult.Status.OK);
        assertThat(r.detail()).contains("memory=" + root.resolve("memory/sandboxed-ci"))
                .contains("pids=" + root.resolve("pids/sandboxed-ci")).doesNotContain("freezer");
        assertThat(m.check(ResourceLimits.NONE.withMemorySwapMax(1)).status()).isEqualTo(CheckResult.Status.FAIL);
    }

    @Test
    void configuredParentFixNamesOnlyTheDelegatedDirectories() {
        CheckResult r = manager("/ci/sandboxes/").check(ResourceLimits.NONE.withPidsMax(10));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.fix()).isEqualTo("sudo mkdir -p " + root.resolve("pids/ci/sandboxes") + " && sudo chown -R "
                + System.getProperty("user.name") + " " + root.resolve("pids/ci/sandboxes"));
    }

    @Test
    void parentsThatAreTheRootOrLeaveItAreRefusedBeforeUse() {
        for (String parent : List.of("..", "../x", "ci/../..", "ci/..", "/", ".", "//./", "a/\0b")) {
            assertThatThrownBy(() -> manager(parent)).as(parent).isInstanceOf(SpecException.class)
                    .hasMessageStartingWith(CgroupConfig.PARENT_PROPERTY + ": '" + parent + "' ")
                    .hasMessageContaining("give a cgroup below the cgroup root").hasMessageNotContaining("\n");
        }
    }

    @Test
    void anUnexpandedBuildPropertyIsRefusedInsteadOfBecomingACgroup() {
        assertThatThrownBy(() -> manager("${sandboxed.cgroup.parent}")).isInstanceOf(SpecException.class)
                .hasMessageStartingWith(CgroupConfig.PARENT_PROPERTY + ": '${sandboxed.cgroup.parent}' ")
                .hasMessageContaining("unexpanded build property").hasMessageNotContaining("\n");
    }

    @Test
    void filesystemPathAsV1ParentIsRefusedWithoutAChownFix() {
        CheckResult r = manager("/sys/fs/cgroup/memory").check(ResourceLimits.NONE.withPidsMax(10));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("is a filesystem path");
        assertThat(r.fix()).doesNotContain("chown").contains("-D" + CgroupConfig.PARENT_PROPERTY);
    }

    @Test
    void v1StatsFromFilesIncludingTickFallback() throws Exception {
        Path mem = Files.createDirectories(tmp.resolve("m"));
        Path acct = Files.createDirectories(tmp.resolve("a"));
        Path cpu = Files.createDirectories(tmp.resolve("c"));
        Path pids = Files.createDirectories(tmp.resolve("p"));
        Files.writeString(mem.resolve("memory.usage_in_bytes"), "4096\n");
        Files.writeString(mem.resolve("memory.max_usage_in_bytes"), "33554432\n");
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        Files.writeString(acct.resolve("cpuacct.stat"), "user 150\nsystem 25\n");
        Files.writeString(cpu.resolve("cpu.stat"), "nr_periods 10\nnr_throttled 4\nthrottled_time 7000000\n"
                + "nr_bursts 0\nburst_time 0\n");
        Files.writeString(pids.resolve("pids.current"), "2\n");
        Files.writeString(pids.resolve("pids.events"), "max 6\n");
        CgroupFiles files = new CgroupFiles(SystemCgroupFs.INSTANCE);
        ResourceUsage u = new V1Stats(files, Optional.of(mem), Optional.of(acct), Optional.of(cpu), Optional.of(pids))
                .read();
        assertThat(u).isEqualTo(new ResourceUsage(4096, 33554432, Duration.ofMillis(1500), Duration.ofMillis(250),
                Duration.ofMillis(7), 2, -1, 3, 6));
        // Nanosecond counters win over ticks when the kernel has them.
        Files.writeString(acct.resolve("cpuacct.usage_user"), "1234567\n");
        Files.writeString(acct.resolve("cpuacct.usage_sys"), "89\n");
        ResourceUsage ns = new V1Stats(files, Optional.empty(), Optional.of(acct), Optional.empty(), Optional.empty())
                .read();
        assertThat(ns.cpuUser()).isEqualTo(Duration.ofNanos(1234567));
        assertThat(ns.cpuSystem()).isEqualTo(Duration.ofNanos(89));
        assertThat(ns.memoryCurrentBytes()).isEqualTo(-1);
        assertThat(ns.oomKills()).isEqualTo(-1);
    }

    @Test
    void cleanerRefusesDirectoriesThatAreNotSandboxCgroups() throws Exception {
        Path notOurs = Files.createDirectories(tmp.resolve("etc"));
        Path noProcs = Files.createDirectories(tmp.resolve("sandboxed-x"));
        assertThatThrownBy(() -> CgroupCleaner.removeStale(List.of(notOurs))).isInstanceOf(CgroupException.class)
                .hasMessageContaining("refusing");
        assertThatThrownBy(() -> CgroupCleaner.removeStale(List.of(noProcs))).isInstanceOf(CgroupException.class)
                .hasMessageContaining("refusing");
        assertThat(notOurs).exists();
        assertThat(noProcs).exists();
        CgroupCleaner.removeStale(List.of(tmp.resolve("sandboxed-gone"))); // missing: nothing to do
    }
}
