package dev.sandboxed.core.result;

import java.time.Duration;

/**
 * Resource usage of one sandbox, read from its cgroup(s). Values that this host cannot report (controller not
 * available, file missing on an older kernel, no cgroup at all) are {@code -1} for counts and bytes and
 * {@link Duration#ZERO} for durations.
 *
 * @param memoryCurrentBytes memory charged now (v2 memory.current, v1 memory.usage_in_bytes)
 * @param memoryPeakBytes    highest memory charge (v2 memory.peak, v1 memory.max_usage_in_bytes; else the highest
 *                           value sampled by usage() calls)
 * @param cpuUser            user CPU time (v2 cpu.stat user_usec, v1 cpuacct.usage_user or cpuacct.stat)
 * @param cpuSystem          system CPU time (v2 cpu.stat system_usec, v1 cpuacct.usage_sys or cpuacct.stat)
 * @param cpuThrottled       time throttled by the CPU bandwidth limit (v2 throttled_usec, v1 throttled_time);
 *                           ZERO when no cpu limit was set
 * @param pidsCurrent        processes and threads now (pids.current)
 * @param pidsPeak           highest pids.current (pids.peak, else the highest sampled value)
 * @param oomKills           processes killed by the OOM killer inside the sandbox (v2 memory.events oom_kill,
 *                           v1 memory.oom_control oom_kill)
 * @param pidsLimitHits      forks refused because pids.max was reached (pids.events max)
 */
public record ResourceUsage(long memoryCurrentBytes, long memoryPeakBytes, Duration cpuUser, Duration cpuSystem,
        Duration cpuThrottled, long pidsCurrent, long pidsPeak, long oomKills, long pidsLimitHits) {

    /** Usage of a sandbox without cgroups: nothing is available. */
    public static final ResourceUsage NOT_AVAILABLE = new ResourceUsage(-1, -1, Duration.ZERO, Duration.ZERO,
            Duration.ZERO, -1, -1, -1, -1);

    /** True when the OOM killer killed at least one process of the sandbox, so exit reason is OOM, not signal 9. */
    public boolean oomKilled() {
        return oomKills > 0;
    }

    /** True when a fork failed because of pids.max. */
    public boolean pidsLimitHit() {
        return pidsLimitHits > 0;
    }
}
