package dev.sandboxed.core.internal.seccomp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The syscalls a sandbox's seccomp filter refused, as sandbox-init reports them (audit architecture, number and
 * a running count), named with the syscall tables the filter was compiled from.
 */
public final class SeccompDenials {
    /** Running count by (audit arch << 32 | number). */
    private final Map<Long, Long> counts = new ConcurrentHashMap<>();

    /** One report: how often syscall {@code nr} of audit architecture {@code auditArch} was refused so far. */
    public void record(int auditArch, int nr, long count) {
        counts.put(((auditArch & 0xffffffffL) << 32) | (nr & 0xffffffffL), count);
    }

    /** By syscall name, with how often (e.g. {@code keyctl=3}). */
    public Map<String, Long> byName() {
        Map<String, Long> named = new LinkedHashMap<>();
        counts.forEach((key, count) -> named.merge(nameOf((int) (key >>> 32), key & 0xffffffffL), count, Long::sum));
        return Collections.unmodifiableMap(named);
    }

    /** The name of syscall {@code nr} of audit architecture {@code auditArch}; "syscall N" when unknown. */
    static String nameOf(int auditArch, long nr) {
        for (SyscallArch a : SyscallArch.values()) {
            if (a.auditArch() == auditArch) {
                if (a == SyscallArch.X86_64 && (nr & SyscallArch.X32_SYSCALL_BIT) != 0) {
                    continue;
                }
                return SyscallTable.of(a).nameOf(nr);
            }
        }
        return "syscall " + nr;
    }
}
