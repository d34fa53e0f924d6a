package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.sandboxed.core.result.ResourceUsage;

/**
 * Usage from cgroup v1 directories, one per hierarchy (each may be absent): memory.usage_in_bytes,
 * memory.max_usage_in_bytes, memory.oom_control (oom_kill, Linux 4.13+), cpuacct.usage_user/usage_sys (else
 * cpuacct.stat in USER_HZ ticks), cpu.stat throttled_time, pids.current/peak/events.
 */
final class V1Stats implements UsageReader {
    /** USER_HZ is 100 on every Linux ABI, so cpuacct.stat ticks are 10 ms. */
    static final long NANOS_PER_TICK = 10_000_000L;

    private final CgroupFiles files;
    private final Optional<Path> memory;
    private final Optional<Path> cpuacct;
    private final Optional<Path> cpu;
    private final Optional<Path> pids;

    V1Stats(CgroupFiles files, Optional<Path> memory, Optional<Path> cpuacct, Optional<Path> cpu,
            Optional<Path> pids) {
        this.files = files;
        this.memory = memory;
        this.cpuacct = cpuacct;
        this.cpu = cpu;
        this.pids = pids;
    }

    @Override
    public ResourceUsage read() {
        long memCurrent = memory.map(d -> files.readLong(d.resolve("memory.usage_in_bytes")).orElse(-1)).orElse(-1L);
        long memPeak = memory.map(d -> files.readLong(d.resolve("memory.max_usage_in_bytes")).orElse(-1))
                .orElse(-1L);
        long oomKills = memory.map(d -> files.readFlatKeyed(d.resolve("memory.oom_control")).getOrDefault("oom_kill",
                -1L)).orElse(-1L);
        Duration user = Duration.ZERO;
        Duration system = Duration.ZERO;
        if (cpuacct.isPresent()) {
            Path d = cpuacct.get();
            var userNs = files.readLong(d.resolve("cpuacct.usage_user"));
            var sysNs = files.readLong(d.resolve("cpuacct.usage_sys"));
            if (userNs.isPresent() && sysNs.isPresent()) {
                user = Duration.ofNanos(userNs.getAsLong());
                system = Duration.ofNanos(sysNs.getAsLong());
            } else {
                Map<String, Long> ticks = files.readFlatKeyed(d.resolve("cpuacct.stat"));
                user = Duration.ofNanos(ticks.getOrDefault("user", 0L) * NANOS_PER_TICK);
                system = Duration.ofNanos(ticks.getOrDefault("system", 0L) * NANOS_PER_TICK);
            }
        }
        Duration throttled = cpu.map(d -> Duration.ofNanos(files.readFlatKeyed(d.resolve("cpu.stat"))
                .getOrDefault("throttled_time", 0L))).orElse(Duration.ZERO);
        long pidsCurrent = pids.map(d -> files.readLong(d.resolve("pids.current")).orElse(-1)).orElse(-1L);
        long pidsPeak = pids.map(d -> files.readLong(d.resolve("pids.peak")).orElse(-1)).orElse(-1L);
        long pidsHits = pids.map(d -> files.readFlatKeyed(d.resolve("pids.events")).getOrDefault("max", -1L))
                .orElse(-1L);
        return new ResourceUsage(memCurrent, memPeak, user, system, throttled, pidsCurrent, pidsPeak, oomKills,
                pidsHits);
    }
}
