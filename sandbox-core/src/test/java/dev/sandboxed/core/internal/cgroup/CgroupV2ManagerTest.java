package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.IoMax;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SpecException;

/** CgroupV2Manager against a fake cgroup2 kernel, as an unprivileged user (uid 1000) in a systemd scope. */
class CgroupV2ManagerTest {
    static final int UID = 1000;
    static final String SCOPE = "/user.slice/user-1000.slice/user@1000.service/app.slice/run-u7.scope";
    static final long MVN = 4100;
    static final long JVM = 4242;

    @TempDir
    Path tmp;
    FakeCgroup2Kernel kernel;
    Path scope;

    @BeforeEach
    void setUp() throws Exception {
        kernel = new FakeCgroup2Kernel(tmp.resolve("cgroup"), UID);
        // systemd-run --user --scope -p Delegate=yes: the scope is owned by the user and holds mvn and the JVM.
        scope = kernel.chain(SCOPE, "cpu memory pids", UID, MVN, JVM);
    }

    @AfterEach
    void noSandboxCgroupLeft() throws Exception {
        assertThat(kernel.allCgroups()).noneMatch(p -> p.contains(SandboxNames.PREFIX + "t-"));
    }

    private CgroupManager manager() throws Exception {
        return CgroupManager.detect(kernel.config(tmp, SCOPE).build());
    }

    private String read(Path p) throws Exception {
        return Files.readString(p);
    }

    @Test
    void detectsV2() throws Exception {
        assertThat(manager().version()).isEqualTo("v2");
    }

    @Test
    void limitsAreWrittenExactly() throws Exception {
        ResourceLimits limits = ResourceLimits.NONE.withMemoryMax(64L << 20).withMemoryHigh(48L << 20)
                .withMemorySwapMax(0).withCpus(1.5).withCpuWeight(200).withPidsMax(64);
        try (SandboxCgroup sb = manager().create("t-1", limits)) {
            Path dir = scope.resolve("sandboxed-t-1");
            assertThat(sb.directories()).containsExactly(dir);
            assertThat(sb.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
            assertThat(read(dir.resolve("memory.max"))).isEqualTo("67108864");
            assertThat(read(dir.resolve("memory.high"))).isEqualTo("50331648");
            assertThat(read(dir.resolve("memory.swap.max"))).isEqualTo("0");
            assertThat(read(dir.resolve("memory.oom.group"))).isEqualTo("1");
            assertThat(read(dir.resolve("cpu.max"))).isEqualTo("150000 100000");
            assertThat(read(dir.resolve("cpu.weight"))).isEqualTo("200");
            assertThat(read(dir.resolve("pids.max"))).isEqualTo("64");
        }
        assertThat(scope.resolve("sandboxed-t-1")).doesNotExist();
    }

    @SuppressWarnings("try") // the cgroup only has to exist while the block runs
    @Test
    void jvmAndSiblingsMoveToLeafBeforeControllersAreEnabled() throws Exception {
        try (SandboxCgroup sb = manager().create("t-2", ResourceLimits.NONE.withMemoryMax(32L << 20))) {
            assertThat(kernel.pids(scope)).isEmpty();
            assertThat(kernel.pids(scope.resolve(V2Planner.LEAF))).containsExactlyInAnyOrder(MVN, JVM);
            // Only what is needed: memory for the limit, pids for stats; cpu is not enabled without a cpu limit.
            assertThat(read(scope.resolve("cgroup.subtree_control"))).isEqualTo("memory pids");
            assertThat(kernel.writes).containsSubsequence(
                    mountRel(scope.resolve(V2Planner.LEAF).resolve("cgroup.procs")) + "=" + MVN,
                    mountRel(scope.resolve("cgroup.subtree_control")) + "=+memory +pids");
        }
    }

    @Test
    void cpuLimitEnablesCpuController() throws Exception {
        try (SandboxCgroup sb = manager().create("t-3", ResourceLimits.NONE.withCpus(0.25))) {
            assertThat(read(scope.resolve("cgroup.subtree_control"))).isEqualTo("cpu memory pids");
            assertThat(read(sb.directories().get(0).resolve("cpu.max"))).isEqualTo("25000 100000");
        }
    }

    @Test
    void secondJvmAlreadyInLeafUsesTheDelegatedParent() throws Exception {
        manager().create("t-4a", ResourceLimits.NONE).close();
        CgroupManager second = CgroupManager.detect(kernel.config(tmp, SCOPE + "/" + V2Planner.LEAF).build());
        try (SandboxCgroup sb = second.create("t-4b", ResourceLimits.NONE.withPidsMax(10))) {
            assertThat(sb.directories()).containsExactly(scope.resolve("sandboxed-t-4b"));
        }
    }

    @Test
    void notDelegatedFailsWithExactFix() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("other"), UID);
        String session = "/user.slice/user-1000.slice/session-3.scope";
        k.chain(session, "memory pids", 0, JVM); // a login session scope: root-owned, not delegated
        CgroupManager m = CgroupManager.detect(k.config(tmp, session).build());

        CheckResult r = m.check(ResourceLimits.NONE.withMemoryMax(64L << 20));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("not delegated to uid 1000").contains("session-3.scope");
        assertThat(r.fix()).startsWith("systemd-run --user --scope -p Delegate=yes mvn verify");
        assertThatThrownBy(() -> m.create("t-5", ResourceLimits.NONE.withMemoryMax(64L << 20)))
                .isInstanceOf(CgroupException.class).hasMessageContaining("cannot enforce resource limits")
                .hasMessageContaining("systemd-run --user --scope -p Delegate=yes");

        // Without limits the sandbox still runs, just without a cgroup.
        assertThat(m.check(ResourceLimits.NONE).status()).isEqualTo(CheckResult.Status.WARN);
        try (SandboxCgroup sb = m.create("t-5", ResourceLimits.NONE)) {
            assertThat(sb.procsFiles()).isEmpty();
            assertThat(sb.usage()).isEqualTo(ResourceUsage.NOT_AVAILABLE);
            assertThat(sb.usage().oomKilled()).isFalse();
        }
        assertThat(k.allCgroups()).noneMatch(p -> p.contains("sandboxed"));
    }

    @Test
    void missingControllerFailsAndLeavesNothing() throws Exception {
        CgroupManager m = manager(); // delegated: cpu memory pids, but no cpuset or io
        ResourceLimits limits = ResourceLimits.NONE.withIoWeight(50);
        CheckResult r = m.check(limits);
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("[io]");
        assertThat(r.fix()).contains("+io").contains("Delegate=cpu cpuset io memory pids");
        assertThatThrownBy(() -> m.create("t-6", limits)).isInstanceOf(CgroupException.class)
                .hasMessageContaining("controllers [io] not available");
        assertThat(kernel.allCgroups()).noneMatch(p -> p.contains("sandboxed-t-6"));
        assertThat(kernel.pids(scope)).containsExactly(MVN, JVM); // nothing was moved for a doomed create
    }

    @Test
    void checkIsOkAndSideEffectFree() throws Exception {
        CheckResult r = manager().check(ResourceLimits.NONE.withMemoryMax(64L << 20).withCpus(1).withPidsMax(9));
        assertThat(r.status()).isEqualTo(CheckResult.Status.OK);
        assertThat(r.detail()).contains(scope.toString()).contains("[cpu, memory, pids]");
        assertThat(kernel.writes).isEmpty();
        assertThat(kernel.pids(scope)).containsExactly(MVN, JVM);
    }

    @Test
    void failedLimitWriteRemovesTheCgroupAndNamesStepPathAndReason() throws Exception {
        kernel.failWritesTo("pids.max", "Invalid argument");
        assertThatThrownBy(() -> manager().create("t-7", ResourceLimits.NONE.withPidsMax(5)))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("set pids.max")
                .hasMessageContaining(scope.resolve("sandboxed-t-7").resolve("pids.max").toString())
                .hasMessageContaining("Invalid argument");
        assertThat(scope.resolve("sandboxed-t-7")).doesNotExist();
    }

    @Test
    void swapLimitWithoutSwapAccountingFails() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("noswap"), UID).withoutSwapAccounting();
        k.chain(SCOPE, "memory pids", UID, JVM);
        CgroupManager m = CgroupManager.detect(k.config(tmp, SCOPE).build());
        assertThatThrownBy(() -> m.create("t-8", ResourceLimits.NONE.withMemoryMax(64L << 20)
                .withMemorySwapMax(0))).isInstanceOf(CgroupException.class)
                .hasMessageContaining("memory.swap.max").hasMessageContaining("file missing");
        assertThat(k.allCgroups()).noneMatch(p -> p.contains("sandboxed-t-8"));
    }

    @Test
    void usageIsParsedFromKernelFiles() throws Exception {
        try (SandboxCgroup sb = manager().create("t-9", ResourceLimits.NONE.withCpus(1))) {
            Path d = sb.directories().get(0);
            kernel.set(d.resolve("memory.current"), "1048576\n");
            kernel.set(d.resolve("memory.peak"), "33554432\n");
            kernel.set(d.resolve("memory.events"), "low 0\nhigh 3\nmax 17\noom 1\noom_kill 2\noom_group_kill 1\n");
            kernel.set(d.resolve("cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
                    + "nr_periods 40\nnr_throttled 7\nthrottled_usec 123456\nnr_bursts 0\nburst_usec 0\n");
            kernel.set(d.resolve("pids.current"), "3\n");
            kernel.set(d.resolve("pids.peak"), "12\n");
            kernel.set(d.resolve("pids.events"), "max 4\n");
            assertThat(sb.usage()).isEqualTo(new ResourceUsage(1048576, 33554432, Duration.ofSeconds(2),
                    Duration.ofMillis(500), Duration.ofNanos(123456000), 3, 12, 2, 4));
            assertThat(sb.usage().oomKilled()).isTrue();
            assertThat(sb.usage().pidsLimitHit()).isTrue();
        }
    }

    @Test
    void withoutPeakFilesPeakIsTheHighestSample() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("old"), UID).withoutPeakFiles();
        k.chain(SCOPE, "memory pids", UID, JVM);
        try (SandboxCgroup sb = CgroupManager.detect(k.config(tmp, SCOPE).build()).create("t-10",
                ResourceLimits.NONE)) {
            Path d = sb.directories().get(0);
            k.set(d.resolve("memory.current"), "9000\n");
            k.set(d.resolve("pids.current"), "5\n");
            sb.usage();
            k.set(d.resolve("memory.current"), "4000\n");
            k.set(d.resolve("pids.current"), "2\n");
            ResourceUsage u = sb.usage();
            assertThat(u.memoryCurrentBytes()).isEqualTo(4000);
            assertThat(u.memoryPeakBytes()).isEqualTo(9000);
            assertThat(u.pidsPeak()).isEqualTo(5);
            assertThat(u.cpuThrottled()).isEqualTo(Duration.ZERO); // no cpu controller: not available
        }
    }

    @Test
    void closeKillsWithCgroupKillRemovesNestedCgroupsKeepsFinalUsageAndIsIdempotent() throws Exception {
        SandboxCgroup sb = manager().create("t-11", ResourceLimits.NONE.withMemoryMax(64L << 20));
        Path d = sb.directories().get(0);
        kernel.write(d.resolve("cgroup.procs"), "5001");
        kernel.mkdir(d.resolve("inner")); // the workload nested its own cgroup
        kernel.write(d.resolve("inner").resolve("cgroup.procs"), "5002");
        kernel.set(d.resolve("memory.events"), "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\noom_group_kill 1\n");

        sb.close();
        assertThat(d).doesNotExist();
        assertThat(kernel.writes).contains(mountRel(d.resolve("cgroup.kill")) + "=1");
        assertThat(kernel.signalled).isEmpty(); // cgroup.kill did it, no pid races
        assertThat(sb.usage().oomKills()).isEqualTo(1);
        sb.close();
        sb.killAll();
    }

    @Test
    void withoutCgroupKillSignalsEveryPidAndFreezesWhenSomethingForks() throws Exception {
        Path[] sandboxDir = new Path[1];
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("old"), UID) {
            @Override
            public synchronized void kill(long pid) {
                super.kill(pid);
                if (pid == 6001) { // it forked a child just before dying
                    try {
                        write(sandboxDir[0].resolve("cgroup.procs"), "6003");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }.withoutCgroupKill();
        k.chain(SCOPE, "memory pids", UID, JVM);
        SandboxCgroup sb = CgroupManager.detect(k.config(tmp, SCOPE).build()).create("t-12", ResourceLimits.NONE);
        Path d = sb.directories().get(0);
        sandboxDir[0] = d;
        k.write(d.resolve("cgroup.procs"), "6001");
        k.write(d.resolve("cgroup.procs"), "6002");
        k.writes.clear();
        sb.killAll();
        assertThat(k.signalled).containsExactly(6001L, 6002L, 6003L);
        String freeze = mountRel(k, d.resolve("cgroup.freeze"));
        // First sweep without freezing (cheap); the new pid triggers a frozen sweep, then the cgroup is thawed.
        assertThat(k.writes).containsSubsequence(mountRel(k, d.resolve("cgroup.procs")) + "=6003",
                freeze + "=1", freeze + "=0");
        assertThat(k.pids(d)).isEmpty();
        assertThat(d).exists();
        sb.close();
        assertThat(d).doesNotExist();
    }

    @Test
    void closeGivesUpOnAProcessThatWillNotDieAndSaysWhere() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("stuck"), UID) {
            @Override
            public synchronized void kill(long pid) {
                signalled.add(pid); // an unkillable (D state) process
            }
        }.withoutCgroupKill();
        k.chain(SCOPE, "memory pids", UID, JVM);
        CgroupManager m = CgroupManager.detect(k.config(tmp, SCOPE).removeTimeout(Duration.ofMillis(200)).build());
        SandboxCgroup sb = m.create("t-13", ResourceLimits.NONE);
        Path d = sb.directories().get(0);
        k.write(d.resolve("cgroup.procs"), "7001");
        assertThatThrownBy(sb::close).isInstanceOf(CgroupException.class).hasMessageContaining("[7001]")
                .hasMessageContaining(d.toString());
        // The process finally exits; stale clean-up (as after a JVM crash) removes the directory.
        k.set(d.resolve("cgroup.procs"), "");
        CgroupCleaner.removeStale(List.of(d), new CgroupFiles(k), Duration.ofSeconds(1));
        assertThat(d).doesNotExist();
    }

    @Test
    void configuredRelativeParentIsCreatedAndUsed() throws Exception {
        String service = "/user.slice/user-1000.slice/user@1000.service";
        CgroupManager m = CgroupManager.detect(kernel.config(tmp, SCOPE)
                .parent(service + "/sandboxed.slice").build());
        Path parent = kernel.mount.resolve(service.substring(1)).resolve("sandboxed.slice");
        kernel.set(kernel.mount.resolve(service.substring(1)).resolve("cgroup.subtree_control"), "cpu memory pids");
        kernel.cgroup(service, UID); // user@1000.service is delegated to the user by systemd
        assertThat(m.check(ResourceLimits.NONE.withMemoryMax(8L << 20)).status()).isEqualTo(CheckResult.Status.OK);
        try (SandboxCgroup sb = m.create("t-14", ResourceLimits.NONE.withMemoryMax(8L << 20))) {
            assertThat(sb.directories()).containsExactly(parent.resolve("sandboxed-t-14"));
            assertThat(read(parent.resolve("cgroup.subtree_control"))).isEqualTo("memory pids");
        }
        assertThat(kernel.pids(scope)).containsExactly(MVN, JVM); // a configured parent moves nobody
        assertThat(parent).exists(); // not ours to remove: other JVMs may share it
        kernel.rmdir(parent);
    }

    @Test
    void cpusetAndIoLimitsWhenDelegated() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("all"), UID);
        Path s = k.chain(SCOPE, "cpuset cpu io memory pids", UID, JVM);
        CgroupManager m = CgroupManager.detect(k.config(tmp, SCOPE).build());
        try (SandboxCgroup sb = m.create("t-16", ResourceLimits.NONE.withCpuset("0-1", "0").withIoWeight(50))) {
            Path d = sb.directories().get(0);
            assertThat(read(d.resolve("cpuset.cpus"))).isEqualTo("0-1");
            assertThat(read(d.resolve("cpuset.mems"))).isEqualTo("0");
            assertThat(read(d.resolve("io.weight"))).isEqualTo("default 50");
            assertThat(read(s.resolve("cgroup.subtree_control"))).isEqualTo("cpuset io memory pids");
        }
    }

    @Test
    void ioMaxIsWrittenDeviceByDeviceInTheKernelsFormat() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("all"), UID);
        Path s = k.chain(SCOPE, "cpu io memory pids", UID, JVM);
        CgroupManager m = CgroupManager.detect(k.config(tmp, SCOPE).build());
        ResourceLimits limits = ResourceLimits.NONE
                .withIoMax(IoMax.of("8:16").readBps(2_097_152).writeIops(120).build())
                .withIoMax(IoMax.of("259:0").writeBps(1_048_576).build());
        try (SandboxCgroup sb = m.create("t-17", limits)) {
            Path d = sb.directories().get(0);
            // The example of the kernel's cgroup-v2 documentation, plus a second device.
            assertThat(read(d.resolve("io.max")).lines().toList()).containsExactly(
                    "8:16 rbps=2097152 wbps=max riops=max wiops=120",
                    "259:0 rbps=max wbps=1048576 riops=max wiops=max");
            assertThat(read(s.resolve("cgroup.subtree_control"))).contains("io");
        }
    }

    @Test
    void ioMaxWithoutTheIoControllerNamesTheMissingController() throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("all"), UID);
        k.chain(SCOPE, "cpu memory pids", UID, JVM); // io is not offered
        CgroupManager m = CgroupManager.detect(k.config(tmp, SCOPE).build());
        CheckResult r = m.check(ResourceLimits.NONE.withIoMax(IoMax.of("8:0").readIops(10).build()));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("io");
    }

    @Test
    void configuredParentThatTheInitCannotBeMovedIntoFails() throws Exception {
        // JVM in a root-owned session scope, parent delegated elsewhere: the common ancestor (user-1000.slice) is
        // root's, so the C side's write to cgroup.procs would fail with EACCES.
        String session = "/user.slice/user-1000.slice/session-3.scope";
        kernel.chain(session, "cpu memory pids", 0, 9999);
        String service = "/user.slice/user-1000.slice/user@1000.service";
        CgroupManager m = CgroupManager.detect(kernel.config(tmp, session).parent(service + "/app.slice").build());
        kernel.cgroup(service + "/app.slice", UID);
        CheckResult r = m.check(ResourceLimits.NONE.withPidsMax(4));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("common ancestor")
                .contains(kernel.mount.resolve("user.slice/user-1000.slice/cgroup.procs").toString());
    }

    @Test
    void configuredParentWithProcessesFails() throws Exception {
        CgroupManager m = CgroupManager.detect(kernel.config(tmp, "/init.scope").parent(SCOPE).build());
        CheckResult r = m.check(ResourceLimits.NONE.withPidsMax(3));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("contains processes");
        assertThat(r.fix()).contains(CgroupConfig.PARENT_PROPERTY + "=" + SCOPE.substring(1) + "/sandboxes");
    }

    @Test
    void configuredParentOutsideTheMountIsRejected() throws Exception {
        assertThatThrownBy(() -> kernel.config(tmp, SCOPE).parent("../../etc")).isInstanceOf(SpecException.class)
                .hasMessageStartingWith(CgroupConfig.PARENT_PROPERTY + ": '../../etc' '..' is not allowed");
        CgroupManager m = CgroupManager.detect(kernel.config(tmp, SCOPE).parent("/sys/fs/etc").build());
        CheckResult r = m.check(ResourceLimits.NONE.withPidsMax(3));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("not below the cgroup2 mount");
        assertThat(r.fix()).doesNotContain("chown");
    }

    @Test
    void theMountItselfIsNeverAParentToHandOver() throws Exception {
        CgroupManager m = CgroupManager.detect(kernel.config(tmp, SCOPE).parent(kernel.mount.toString()).build());
        CheckResult r = m.check(ResourceLimits.NONE.withPidsMax(3));
        assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
        assertThat(r.detail()).contains("not below the cgroup2 mount");
        assertThat(r.fix()).doesNotContain("chown");
    }

    @Test
    void sandboxIdCannotEscapeTheParent() throws Exception {
        try (SandboxCgroup sb = manager().create("../../x y", ResourceLimits.NONE)) {
            assertThat(sb.directories()).containsExactly(scope.resolve("sandboxed-.._.._x_y"));
        }
    }

    @SuppressWarnings("try") // the cgroup only has to exist while the block runs
    @Test
    void existingSandboxDirectoryIsAnError() throws Exception {
        CgroupManager m = manager();
        try (SandboxCgroup sb = m.create("t-15", ResourceLimits.NONE)) {
            assertThatThrownBy(() -> m.create("t-15", ResourceLimits.NONE)).isInstanceOf(CgroupException.class)
                    .hasMessageContaining("mkdir sandbox cgroup").hasMessageContaining("File exists");
        }
    }

    private String mountRel(Path p) {
        return mountRel(kernel, p);
    }

    private static String mountRel(FakeCgroup2Kernel k, Path p) {
        return k.mount.relativize(p).toString();
    }
}
