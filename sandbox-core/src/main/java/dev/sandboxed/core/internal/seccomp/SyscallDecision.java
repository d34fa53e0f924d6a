package dev.sandboxed.core.internal.seccomp;

import java.util.List;

/**
 * What the filter does for one syscall number of one ABI: the guarded rules in order (first
 * match wins), then the fallback action. Equal decisions for neighbouring numbers are merged into
 * one range by {@link SyscallRanges}.
 */
record SyscallDecision(List<Guarded> guarded, SeccompAction fallback) {

    /** An action taken when all conditions hold. */
    record Guarded(List<ArgCondition> conditions, SeccompAction action) {
        Guarded {
            conditions = List.copyOf(conditions);
        }
    }

    SyscallDecision {
        guarded = List.copyOf(guarded);
    }

    static SyscallDecision always(SeccompAction action) {
        return new SyscallDecision(List.of(), action);
    }
}
