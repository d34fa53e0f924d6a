package dev.sandboxed.junit.internal.hermetic;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import dev.sandboxed.core.result.ResourceUsage;

/**
 * Which peak figures the kernel keeps for a sandbox's cgroups. Where it keeps none ({@code memory.peak} came with Linux
 * 5.19 on cgroup v2, {@code pids.peak} later), the core reports the highest value its own reads saw; a sandboxed JVM's
 * sandbox is read only at its end, so that would be no peak at all, and a budget would pass unchecked.
 *
 * @param memory whether {@code memory.peak} (v2) or {@code memory.max_usage_in_bytes} (v1) exists
 * @param pids   whether {@code pids.peak} exists
 */
record KernelPeaks(boolean memory, boolean pids) {

    /** Looked up in the host's cgroup directories of a running sandbox (none: nothing is measured anyway). */
    static KernelPeaks of(List<Path> cgroupDirectories) {
        boolean memory = false;
        boolean pids = false;
        for (Path dir : cgroupDirectories) {
            memory |= exists(dir.resolve("memory.peak")) || exists(dir.resolve("memory.max_usage_in_bytes"));
            pids |= exists(dir.resolve("pids.peak"));
        }
        return new KernelPeaks(memory, pids);
    }

    /** {@code usage} with the peaks the kernel did not keep as not measured (-1). */
    ResourceUsage keptOnly(ResourceUsage usage) {
        if (usage.equals(ResourceUsage.NOT_AVAILABLE) || memory && pids) {
            return usage;
        }
        return new ResourceUsage(usage.memoryCurrentBytes(), memory ? usage.memoryPeakBytes() : -1, usage.cpuUser(),
                usage.cpuSystem(), usage.cpuThrottled(), usage.pidsCurrent(), pids ? usage.pidsPeak() : -1,
                usage.oomKills(), usage.pidsLimitHits());
    }

    private static boolean exists(Path file) {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    }
}
