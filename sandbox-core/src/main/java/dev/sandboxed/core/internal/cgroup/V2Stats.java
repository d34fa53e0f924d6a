package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.sandboxed.core.result.ResourceUsage;

/** Usage from a cgroup v2 directory (memory.current/peak/events, cpu.stat, pids.current/peak/events). */
final class V2Stats implements UsageReader {
    private final CgroupFiles files;
    private final Path dir;

    V2Stats(CgroupFiles files, Path dir) {
        this.files = files;
        this.dir = dir;
    }

    @Override
    public ResourceUsage read() {
        Map<String, Long> cpu = files.readFlatKeyed(dir.resolve("cpu.stat"));
        Map<String, Long> memEvents = files.readFlatKeyed(dir.resolve("memory.events"));
        Map<String, Long> pidsEvents = files.readFlatKeyed(dir.resolve("pids.events"));
        return new ResourceUsage(
                files.readLong(dir.resolve("memory.current")).orElse(-1),
                files.readLong(dir.resolve("memory.peak")).orElse(-1),
                usec(cpu, "user_usec"),
                usec(cpu, "system_usec"),
                usec(cpu, "throttled_usec"),
                files.readLong(dir.resolve("pids.current")).orElse(-1),
                files.readLong(dir.resolve("pids.peak")).orElse(-1),
                memEvents.getOrDefault("oom_kill", -1L),
                pidsEvents.getOrDefault("max", -1L));
    }

    private static Duration usec(Map<String, Long> stat, String key) {
        Long v = stat.get(key);
        return v == null ? Duration.ZERO : Duration.ofNanos(v * 1000);
    }
}
