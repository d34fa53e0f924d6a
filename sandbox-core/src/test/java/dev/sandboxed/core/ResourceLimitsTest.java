package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.IoMax;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Limits that really hold, and usage that is really measured, on this host's cgroups (v1 or v2). */
@RequiresSandbox
class ResourceLimitsTest {
    private static final long MIB = 1 << 20;

    @BeforeEach
    void limitsAvailable() {
        CheckResult check = SandboxRuntime.shared().cgroups()
                .check(ResourceLimits.NONE.withMemoryMax(64 * MIB).withPidsMax(20).withCpus(0.5));
        if (check.status() == CheckResult.Status.FAIL) {
            System.err.println("SKIPPED resource limit tests: " + check.detail() + " fix: " + check.fix());
        }
        Assumptions.assumeTrue(check.status() != CheckResult.Status.FAIL,
                () -> "cgroup limits unavailable here: " + check.detail() + "; fix: " + check.fix());
    }

    @Test
    void memoryHogIsOomKilledAndReportedAsOom() {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().memory(32 * MIB).build())) {
            // tail buffers an endless line of zeros until the limit stops it.
            ExecResult r = s.exec("tail", "/dev/zero");
            assertThat(r.exitReason()).as(r.toString()).isEqualTo(ExitReason.OOM_KILLED);
            assertThat(r.exitCode()).isEqualTo(137);
            ResourceUsage usage = s.usage();
            assertThat(usage.oomKills()).isGreaterThanOrEqualTo(1);
            assertThat(usage.memoryPeakBytes()).isBetween(16 * MIB, 33 * MIB);
            // The sandbox survives its OOM: the next process runs.
            assertThat(s.exec("echo", "still here").stdout()).isEqualTo("still here\n");
        }
    }

    @Test
    void forkBombHitsThePidsLimitInsideOnly() {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().pids(20).build())) {
            ExecResult r = s.exec(ProcessSpec.builder("sh", "-c", "for i in $(seq 40); do sleep 1 & done; wait")
                    .timeout(Duration.ofSeconds(30)).build());
            // fork() fails with EAGAIN inside: the shell says "Cannot fork" and gives up.
            assertThat(r.stderr()).as(r.tail(5)).containsIgnoringCase("fork");
            assertThat(r.exitCode()).isNotZero();
            ResourceUsage usage = s.usage();
            assertThat(usage.pidsPeak()).isLessThanOrEqualTo(20);
            assertThat(usage.pidsLimitHits()).isGreaterThan(0);
        }
        // The host is unaffected: it can still start processes.
        try (Sandbox other = Sandbox.start(SandboxSpec.defaults())) {
            assertThat(other.exec("true").succeeded()).isTrue();
        }
    }

    @Test
    void cpuQuotaBoundsCpuTime() {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().cpus(0.2).build())) {
            // Spin for one second of wall time; at 0.2 CPU the cgroup may use about 0.2 s of CPU.
            s.exec("timeout", "1", "sh", "-c", "while :; do :; done");
            ResourceUsage usage = s.usage();
            Duration cpu = usage.cpuUser().plus(usage.cpuSystem());
            assertThat(cpu).isLessThan(Duration.ofMillis(600));
            assertThat(cpu).isGreaterThan(Duration.ofMillis(50));
        }
    }

    @Test
    void peakMemoryOfAKnownAllocation() {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().memory(256 * MIB).build())) {
            ExecResult r = s.exec("python3", "-c",
                    "b = bytearray(64 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint('ok')");
            assertThat(r.stdout()).as(r.tail(5)).isEqualTo("ok\n");
            long peak = s.usage().memoryPeakBytes();
            assertThat(peak).isBetween(64 * MIB, 64 * MIB + 48 * MIB);
        }
    }

    @Test
    void manySandboxesLeaveNoCgroupBehind() {
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            try (Sandbox s = Sandbox.start(SandboxSpec.builder().memory(64 * MIB).trackUsage(true).build())) {
                if (i % 50 == 0) {
                    assertThat(s.exec("true").succeeded()).isTrue();
                }
                dirs.addAll(cgroupDirectories(s));
            }
        }
        assertThat(dirs).isNotEmpty();
        assertThat(Probes.eventually(5, () -> dirs.stream().noneMatch(Files::exists))).isTrue();
    }

    @Test
    void ioMaxLandsInTheKernelForARealBlockDevice() throws Exception {
        String device = firstWholeDisk();
        Assumptions.assumeTrue(device != null, "no block device under /sys/dev/block on this host");
        IoMax limit = IoMax.of(device).readBps(MIB).writeIops(50).build();
        CheckResult check = SandboxRuntime.shared().cgroups().check(ResourceLimits.NONE.withIoMax(limit));
        if (check.status() == CheckResult.Status.FAIL) {
            System.err.println("SKIPPED ioMax test: " + check.detail() + " fix: " + check.fix());
        }
        Assumptions.assumeTrue(check.status() != CheckResult.Status.FAIL, () -> "io limits unavailable: " + check.detail());
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().ioMax(limit).build())) {
            List<String> written = new ArrayList<>();
            for (Path dir : cgroupDirectories(s)) {
                for (String name : new String[] {"io.max", "blkio.throttle.read_bps_device", "blkio.throttle.write_iops_device"}) {
                    Path file = dir.resolve(name);
                    if (Files.exists(file)) {
                        written.add(name + ": " + Files.readString(file).strip());
                    }
                }
            }
            // v2 shows one line with all four keys; v1 one file per key. Either way the kernel took the device.
            assertThat(written).as("limits in %s", cgroupDirectories(s)).isNotEmpty().allSatisfy(line -> {
                if (line.startsWith("io.max")) {
                    assertThat(line).contains(device + " rbps=1048576").contains("wiops=50");
                }
            });
            if (written.get(0).startsWith("blkio")) {
                assertThat(written).contains("blkio.throttle.read_bps_device: " + device + " 1048576",
                        "blkio.throttle.write_iops_device: " + device + " 50");
            }
            assertThat(s.exec("true").succeeded()).isTrue();
        }
    }

    /** MAJOR:MINOR of a whole disk (partitions are refused by io.max), or null. */
    private static String firstWholeDisk() throws IOException {
        Path block = Path.of("/sys/dev/block");
        if (!Files.isDirectory(block)) {
            return null;
        }
        try (var entries = Files.list(block)) {
            return entries.filter(e -> !Files.exists(e.resolve("partition")))
                    .filter(e -> !realPath(e).contains("/virtual/")) // loop, ram: no throttling
                    .map(e -> e.getFileName().toString()).sorted().findFirst().orElse(null);
        }
    }

    private static String realPath(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return "/virtual/"; // unreadable: not a candidate
        }
    }

    private static List<Path> cgroupDirectories(Sandbox s) {
        return s.cgroupDirectories();
    }
}
