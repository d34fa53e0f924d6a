package dev.sandboxed.core.internal.cgroup;

import java.util.regex.Pattern;

import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SpecException;

/**
 * Rejects limits that are wrong on any host before anything is created. Field names are
 * {@code limits.<component>} after the {@link ResourceLimits} components.
 */
final class LimitsValidator {
    /**
     * Below this a static init plus a shell is OOM-killed at exec, so a smaller value is almost certainly a unit
     * mistake (64 meaning 64 MiB).
     */
    static final long MIN_MEMORY_BYTES = 4L * 1024 * 1024;
    /** CFS period used for cpu.max / cpu.cfs_period_us. */
    static final long CPU_PERIOD_USEC = 100_000;
    /** The kernel rejects CFS quotas below 1 ms. */
    static final long MIN_CPU_QUOTA_USEC = 1_000;
    /** Upper bound for cpus: the kernel caps quota; nobody needs more than this many CPUs for one test. */
    static final double MAX_CPUS = 4096;
    private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");

    private LimitsValidator() {
    }

    static void validate(ResourceLimits l) {
        if (l == null) {
            throw new SpecException("limits", "must not be null (use ResourceLimits.NONE)");
        }
        l.memoryMax().ifPresent(v -> memory("limits.memoryMax", v));
        l.memoryHigh().ifPresent(v -> memory("limits.memoryHigh", v));
        if (l.memoryMax().isPresent() && l.memoryHigh().isPresent()
                && l.memoryHigh().getAsLong() > l.memoryMax().getAsLong()) {
            throw new SpecException("limits.memoryHigh", "is " + l.memoryHigh().getAsLong()
                    + " bytes, above memoryMax " + l.memoryMax().getAsLong() + "; it must be <= memoryMax");
        }
        l.memorySwapMax().ifPresent(v -> {
            if (v < 0) {
                throw new SpecException("limits.memorySwapMax", "must be >= 0 bytes, got " + v);
            }
        });
        l.cpus().ifPresent(v -> {
            if (!Double.isFinite(v) || v <= 0) {
                throw new SpecException("limits.cpus", "must be a positive number of CPUs such as 0.5, got " + v);
            }
            if (cpuQuotaUsec(v) < MIN_CPU_QUOTA_USEC) {
                throw new SpecException("limits.cpus", "must be at least 0.01 (the kernel's minimum CFS quota is 1 ms"
                        + " per 100 ms period), got " + v);
            }
            if (v > MAX_CPUS) {
                throw new SpecException("limits.cpus", "must be at most " + (long) MAX_CPUS + ", got " + v);
            }
        });
        l.cpuWeight().ifPresent(v -> weight("limits.cpuWeight", v));
        l.ioWeight().ifPresent(v -> weight("limits.ioWeight", v));
        cpuList("limits.cpusetCpus", l.cpusetCpus());
        cpuList("limits.cpusetMems", l.cpusetMems());
        l.pidsMax().ifPresent(v -> {
            if (v < ResourceLimits.MIN_PIDS) {
                throw new SpecException("limits.pidsMax", "must be >= " + ResourceLimits.MIN_PIDS
                        + " (the sandbox's init and the command; each further process or thread needs one more), got " + v);
            }
        });
    }

    static long cpuQuotaUsec(double cpus) {
        return Math.round(cpus * CPU_PERIOD_USEC);
    }

    private static void memory(String field, long v) {
        if (v < MIN_MEMORY_BYTES) {
            throw new SpecException(field, "is " + v + " bytes; the minimum is " + MIN_MEMORY_BYTES
                    + " bytes (4 MiB) - values are in bytes, not MiB");
        }
    }

    private static void weight(String field, int v) {
        if (v < 1 || v > 10_000) {
            throw new SpecException(field, "must be between 1 and 10000, got " + v);
        }
    }

    private static void cpuList(String field, String v) {
        if (v == null) {
            return;
        }
        if (!CPU_LIST.matcher(v).matches()) {
            throw new SpecException(field, "must be a list like 0-1,3, got '" + v + "'");
        }
        for (String part : v.split(",")) {
            String[] r = part.split("-");
            if (r.length == 2 && Long.parseLong(r[0]) > Long.parseLong(r[1])) {
                throw new SpecException(field, "range " + part + " is reversed");
            }
        }
    }
}
