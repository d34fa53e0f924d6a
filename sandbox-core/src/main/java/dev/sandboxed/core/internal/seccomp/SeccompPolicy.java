package dev.sandboxed.core.internal.seccomp;

import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A seccomp policy ready to compile, already resolved against the sandbox's capabilities and
 * the native architecture.
 *
 * <p>Semantics: for a call, the rules naming that syscall are tried in list order and the first
 * whose conditions all hold decides; if none does, {@code defaultAction} applies. Syscalls a
 * table lacks are ignored for that ABI. {@code abis} lists the ABIs whose calls the filter judges
 * (the native one is always included); calls from any other ABI kill the process.
 */
public record SeccompPolicy(SeccompAction defaultAction, Set<SyscallArch> abis, List<SyscallRule> rules) {

    public SeccompPolicy {
        if (defaultAction == null) {
            throw new NullPointerException("defaultAction");
        }
        abis = abis.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(abis));
        rules = List.copyOf(rules);
    }

    /** The errno of the default action, if it is ERRNO. */
    public OptionalInt defaultErrno() {
        return defaultAction.kind() == SeccompAction.Kind.ERRNO
                ? OptionalInt.of(defaultAction.errno()) : OptionalInt.empty();
    }

    /**
     * True when {@code syscall} is always allowed: the first rule naming it allows it without conditions, or
     * no rule names it and the default allows. A conditional first rule counts as not always.
     */
    public boolean alwaysAllows(String syscall) {
        for (SyscallRule rule : rules) {
            if (rule.syscall().equals(syscall)) {
                return rule.isUnconditional() && rule.action().kind() == SeccompAction.Kind.ALLOW;
            }
        }
        return defaultAction.kind() == SeccompAction.Kind.ALLOW;
    }
}
