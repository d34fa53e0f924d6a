package dev.sandboxed.core.internal.seccomp;

import java.util.List;

/**
 * One rule of a policy: when {@code syscall} is called and all {@code conditions} hold,
 * take {@code action}. An empty condition list matches every call.
 */
public record SyscallRule(String syscall, List<ArgCondition> conditions, SeccompAction action) {

    public SyscallRule {
        if (syscall == null || syscall.isBlank()) {
            throw new IllegalArgumentException("syscall name is required");
        }
        conditions = List.copyOf(conditions);
        if (action == null) {
            throw new NullPointerException("action");
        }
    }

    public static SyscallRule unconditional(String syscall, SeccompAction action) {
        return new SyscallRule(syscall, List.of(), action);
    }

    public boolean isUnconditional() {
        return conditions.isEmpty();
    }
}
