package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.result.ResourceUsage;

/** A sandbox's cgroup directories on v1 or v2; the version-specific parts are the usage reader and the reaper. */
final class CgroupSandbox implements SandboxCgroup {
    private final List<Path> directories;
    private final List<Path> procsFiles;
    private final UsageReader reader;
    private final CgroupReaper reaper;
    private final Duration timeout;
    private final boolean unified;
    private long maxMemorySeen = -1;
    private long maxPidsSeen = -1;
    private ResourceUsage finalUsage;

    CgroupSandbox(List<Path> directories, UsageReader reader, CgroupReaper reaper, Duration timeout, boolean unified) {
        this.unified = unified;
        this.directories = List.copyOf(directories);
        this.procsFiles = this.directories.stream().map(d -> d.resolve("cgroup.procs")).toList();
        this.reader = reader;
        this.reaper = reaper;
        this.timeout = timeout;
    }

    @Override
    public List<Path> procsFiles() {
        return procsFiles;
    }

    @Override
    public Optional<Path> cloneIntoDirectory() {
        return unified && directories.size() == 1 ? Optional.of(directories.get(0)) : Optional.empty();
    }

    @Override
    public List<Path> directories() {
        return directories;
    }

    @Override
    public synchronized ResourceUsage usage() {
        if (finalUsage != null) {
            return finalUsage;
        }
        ResourceUsage u = reader.read();
        // Kernels without memory.peak / pids.peak: the best we have is the highest value we sampled.
        maxMemorySeen = Math.max(maxMemorySeen, u.memoryCurrentBytes());
        maxPidsSeen = Math.max(maxPidsSeen, u.pidsCurrent());
        long memPeak = u.memoryPeakBytes() >= 0 ? u.memoryPeakBytes() : maxMemorySeen;
        long pidsPeak = u.pidsPeak() >= 0 ? u.pidsPeak() : maxPidsSeen;
        return new ResourceUsage(u.memoryCurrentBytes(), memPeak, u.cpuUser(), u.cpuSystem(), u.cpuThrottled(),
                u.pidsCurrent(), pidsPeak, u.oomKills(), u.pidsLimitHits());
    }

    @Override
    public void killAll() {
        if (isClosed()) {
            return;
        }
        reaper.killAll(directories, timeout);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (finalUsage != null) {
                return;
            }
        }
        // The counters die with the directory. Usually the sandbox has ended and its cgroups are empty, so the
        // removal is a plain rmdir; when something still runs, remove() kills it and retries.
        ResourceUsage last = usage();
        reaper.remove(directories, timeout);
        synchronized (this) {
            finalUsage = last;
        }
    }

    private synchronized boolean isClosed() {
        return finalUsage != null;
    }
}
