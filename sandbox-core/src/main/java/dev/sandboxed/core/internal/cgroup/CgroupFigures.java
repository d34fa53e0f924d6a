package dev.sandboxed.core.internal.cgroup;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Limits and usage as {@code sandboxed ps} and {@code inspect} show them (plain JSON values), the same for a sandbox of
 * a live JVM and one kept after its JVM.
 */
public final class CgroupFigures {
    private CgroupFigures() {
    }

    public static Map<String, Object> limits(ResourceLimits l) {
        Map<String, Object> m = new LinkedHashMap<>();
        l.memoryMax().ifPresent(v -> m.put("memoryMaxBytes", v));
        l.memoryHigh().ifPresent(v -> m.put("memoryHighBytes", v));
        l.cpus().ifPresent(v -> m.put("cpus", v));
        l.pidsMax().ifPresent(v -> m.put("pidsMax", v));
        return m;
    }

    public static Map<String, Object> usage(ResourceUsage u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("memoryCurrentBytes", u.memoryCurrentBytes());
        m.put("memoryPeakBytes", u.memoryPeakBytes());
        m.put("cpuMillis", u.cpuUser().plus(u.cpuSystem()).toMillis());
        m.put("pidsCurrent", u.pidsCurrent());
        m.put("oomKills", u.oomKills());
        return m;
    }
}
