package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Real cgroups on this host (v1 or v2). Needs root or a delegated parent in the {@value CgroupConfig#PARENT_PROPERTY}
 * system property; otherwise every test is skipped with the reason printed.
 */
class CgroupRealHostTest {
    private static final long MIB = 1024 * 1024;
    private static final String RUN = "t" + ProcessHandle.current().pid() + "-";
    private static final List<Path> CREATED = new ArrayList<>();
    private static CgroupManager manager;

    @BeforeAll
    static void requireWritableCgroups() {
        CgroupConfig config = CgroupConfig.fromSystemProperties();
        boolean root = SystemCgroupFs.INSTANCE.uid() == 0;
        String reason = null;
        if (!root && config.parent().isEmpty()) {
            reason = "not root and no -D" + CgroupConfig.PARENT_PROPERTY + "=<delegated parent> given";
        } else {
            manager = CgroupManager.detect(config);
            CheckResult r = manager.check(ResourceLimits.NONE.withMemoryMax(32 * MIB).withPidsMax(64).withCpus(1));
            if (r.status() == CheckResult.Status.FAIL) {
                reason = r.render();
            }
        }
        if (reason != null) {
            System.out.println("CgroupRealHostTest skipped: " + reason);
        }
        assumeTrue(reason == null, reason);
    }

    @AfterAll
    static void nothingLeftBehind() {
        List<Path> left = CREATED.stream().filter(Files::exists).collect(Collectors.toList());
        CgroupCleaner.removeStale(left); // clean up even when the assertion below fails
        assertThat(left).as("sandbox cgroups left behind").isEmpty();
    }

    private static SandboxCgroup create(String name, ResourceLimits limits) {
        SandboxCgroup sb = manager.create(RUN + name, limits);
        CREATED.addAll(sb.directories());
        return sb;
    }

    @Test
    void limitsStatsKillAndRemoveWithARealProcess() throws Exception {
        ResourceLimits limits = ResourceLimits.NONE.withMemoryMax(64 * MIB).withPidsMax(32).withCpus(0.5);
        try (SandboxCgroup sb = create("limits", limits)) {
            limitsStatsKillAndRemove(sb);
        }
    }

    private static void limitsStatsKillAndRemove(SandboxCgroup sb) throws Exception {
        assertThat(sb.directories()).allSatisfy(d -> assertThat(d).isDirectory());
        assertThat(sb.procsFiles()).hasSameSizeAs(sb.directories());
        assertLimitFiles(sb);

        Process sleep = new ProcessBuilder("sleep", "30").start();
        try {
            long t0 = System.nanoTime();
            for (Path procs : sb.procsFiles()) {
                Files.writeString(procs, Long.toString(sleep.pid()));
            }
            System.out.printf("moving a pid into %d cgroup(s) took %.3f ms%n", sb.procsFiles().size(),
                    (System.nanoTime() - t0) / 1e6);
            for (Path procs : sb.procsFiles()) {
                assertThat(Files.readString(procs).strip()).isEqualTo(Long.toString(sleep.pid()));
            }
            ResourceUsage u = sb.usage();
            assertThat(u.pidsCurrent()).isEqualTo(1);
            // v1 does not move memory charges with a task (move_charge_at_immigrate 0), so 0 is right here.
            assertThat(u.memoryCurrentBytes()).isNotNegative();
            assertThat(u.oomKills()).isZero();
            assertThat(u.pidsLimitHits()).isZero();

            sb.killAll();
            assertThat(sleep.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(sleep.exitValue()).isEqualTo(137); // SIGKILL
            assertThat(sb.procsFiles()).allSatisfy(p -> assertThat(read(p)).isBlank());
        } finally {
            sleep.destroyForcibly();
        }
        sb.close();
        assertThat(sb.directories()).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(sb.usage().pidsPeak()).isGreaterThanOrEqualTo(1); // final usage survives removal
        sb.close(); // idempotent
    }

    @Test
    void aSandboxThatDiesWithItsInitGetsNoFreezer() {
        assumeTrue(manager.version().equals("v1"), "the freezer is a v1 hierarchy; v2 freezes in every cgroup");
        try (SandboxCgroup withPidNamespace = manager.create(RUN + "pidns", ResourceLimits.NONE, true);
                SandboxCgroup without = manager.create(RUN + "nopidns", ResourceLimits.NONE, false)) {
            CREATED.addAll(withPidNamespace.directories());
            CREATED.addAll(without.directories());
            assertThat(withPidNamespace.directories()).noneMatch(d -> Files.exists(d.resolve("freezer.state")))
                    .isNotEmpty();
            boolean freezerUsable = without.directories().stream().anyMatch(d -> Files.exists(d.resolve("freezer.state")));
            if (!freezerUsable) {
                System.out.println("no writable v1 freezer here: only the sandbox with a pid namespace was checked");
            }
            assertThat(without.directories()).hasSize(withPidNamespace.directories().size() + (freezerUsable ? 1 : 0));
        }
    }

    @Test
    void measureCreateAttachAndRemoveCost() throws Exception {
        int n = 20;
        long[] create = new long[n];
        long[] attach = new long[n];
        long[] close = new long[n];
        int hierarchies = 0;
        for (int i = 0; i < n; i++) {
            Process sleep = new ProcessBuilder("sleep", "30").start();
            try {
                long t0 = System.nanoTime();
                SandboxCgroup sb = create("bench" + i, ResourceLimits.NONE.withMemoryMax(64 * MIB).withPidsMax(32));
                long t1 = System.nanoTime();
                for (Path procs : sb.procsFiles()) {
                    Files.writeString(procs, Long.toString(sleep.pid()));
                }
                long t2 = System.nanoTime();
                assertThat(sb.usage().pidsCurrent()).isEqualTo(1);
                sb.close();
                long t3 = System.nanoTime();
                create[i] = t1 - t0;
                attach[i] = t2 - t1;
                close[i] = t3 - t2;
                hierarchies = sb.procsFiles().size();
                assertThat(sleep.waitFor(5, TimeUnit.SECONDS)).isTrue();
            } finally {
                sleep.destroyForcibly();
            }
            Thread.sleep(20); // isolated operations, as between tests
        }
        System.out.printf("cgroup %s, %d hierarchies: median create %.3f ms, attach (all procs files) %.3f ms,"
                + " kill+remove %.3f ms%n", manager.version(), hierarchies, median(create), median(attach),
                median(close));
    }

    private static double median(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }

    @Test
    void memoryHogIsOomKilledAndReportedAsOom() throws Exception {
        try (SandboxCgroup sb = create("oom", ResourceLimits.NONE.withMemoryMax(32 * MIB).withPidsMax(16))) {
            // The wrapper puts itself into the cgroups before exec, so the hog runs limited from its first instruction.
            String enter = sb.procsFiles().stream().map(p -> "echo $$ > '" + p + "'; ")
                    .collect(Collectors.joining());
            Process p = new ProcessBuilder("sh", "-c", enter + "exec sh -c 'head -c 200m /dev/zero | tail'")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("memory hog finished").isTrue();
            ResourceUsage u = sb.usage();
            System.out.println("memory hog: exit " + p.exitValue() + ", " + u);
            assertThat(u.oomKills()).isPositive();
            assertThat(u.oomKilled()).isTrue();
            assertThat(u.memoryPeakBytes()).isGreaterThan(16 * MIB).isLessThanOrEqualTo(32 * MIB);
            assertThat(p.exitValue()).isNotZero();
        }
    }

    @Test
    void forkBeyondPidsMaxIsCounted() throws Exception {
        try (SandboxCgroup sb = create("pids", ResourceLimits.NONE.withPidsMax(3))) {
            String enter = sb.procsFiles().stream().map(p -> "echo $$ > '" + p + "'; ")
                    .collect(Collectors.joining());
            Process p = new ProcessBuilder("sh", "-c", enter + "for i in 1 2 3 4 5 6; do sleep 5 & done; wait")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (sb.usage().pidsLimitHits() <= 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                ResourceUsage u = sb.usage();
                assertThat(u.pidsLimitHits()).isPositive();
                assertThat(u.pidsPeak()).isEqualTo(3);
            } finally {
                sb.killAll();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void sandboxWithoutLimitsStillHasUsage() throws Exception {
        try (SandboxCgroup sb = create("nolimits", ResourceLimits.NONE)) {
            assertThat(sb.procsFiles()).isNotEmpty();
            Process p = new ProcessBuilder("sh", "-c", sb.procsFiles().stream()
                    .map(f -> "echo $$ > '" + f + "'; ").collect(Collectors.joining())
                    + "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done").start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            ResourceUsage u = sb.usage();
            assertThat(u.cpuUser().plus(u.cpuSystem())).isPositive();
            assertThat(u.memoryPeakBytes()).isPositive();
        }
    }

    @Test
    void staleCgroupsOfADeadJvmAreRemoved() throws Exception {
        SandboxCgroup sb = create("stale", ResourceLimits.NONE.withPidsMax(8));
        Process sleep = new ProcessBuilder("sleep", "30").start();
        try {
            for (Path procs : sb.procsFiles()) {
                Files.writeString(procs, Long.toString(sleep.pid()));
            }
            // The JVM that created them is "gone": only the directory list from its state file remains.
            CgroupCleaner.removeStale(sb.directories());
            assertThat(sleep.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(sb.directories()).allSatisfy(d -> assertThat(d).doesNotExist());
        } finally {
            sleep.destroyForcibly();
        }
    }

    private static void assertLimitFiles(SandboxCgroup sb) throws IOException {
        if (manager.version().equals("v2")) {
            Path d = sb.directories().get(0);
            assertThat(read(d.resolve("memory.max")).strip()).isEqualTo(Long.toString(64 * MIB));
            assertThat(read(d.resolve("pids.max")).strip()).isEqualTo("32");
            assertThat(read(d.resolve("cpu.max")).strip()).isEqualTo("50000 100000");
            return;
        }
        assertThat(find(sb, "memory.limit_in_bytes")).isEqualTo(Long.toString(64 * MIB));
        assertThat(find(sb, "pids.max")).isEqualTo("32");
        assertThat(find(sb, "cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(find(sb, "cpu.cfs_period_us")).isEqualTo("100000");
    }

    private static String find(SandboxCgroup sb, String file) {
        return sb.directories().stream().map(d -> d.resolve(file)).filter(Files::exists).findFirst()
                .map(CgroupRealHostTest::read).orElseThrow(() -> new AssertionError(file + " in no directory"))
                .strip();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
