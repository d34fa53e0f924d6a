package dev.sandboxed.core.internal.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The opt-in that lets a sandbox create nested namespaces, for tests that run bubblewrap,
 * {@code unshare -U} or a container runtime inside the sandbox. Docker's profile refuses these
 * calls unless the container holds CAP_SYS_ADMIN; with the opt-in they are allowed
 * unconditionally, on every ABI the policy judges:
 * <ul>
 * <li>{@code unshare}, {@code setns}, and {@code clone} with any flags (Docker's condition that
 *     {@code clone} create no namespace is dropped);</li>
 * <li>{@code mount}, {@code umount2}, {@code pivot_root} and the new mount API: {@code fsopen},
 *     {@code fsconfig}, {@code fsmount}, {@code fspick}, {@code move_mount}, {@code open_tree},
 *     {@code mount_setattr}.</li>
 * </ul>
 * Every other rule is left as the profile states it: {@code clone3} still fails with ENOSYS (its
 * flags live in memory a filter cannot read, so libc falls back to {@code clone}), and keyctl,
 * bpf, ptrace, personality and the terminal-injection ioctls keep their decisions. The kernel
 * still confines these calls: mounting and entering namespaces need capabilities in a user
 * namespace the sandbox owns, which a fresh {@code unshare(CLONE_NEWUSER)} provides and nothing
 * more.
 */
final class NestedNamespaces {
    /** The syscalls the opt-in allows, in the order their rules are appended. */
    static final List<String> SYSCALLS = List.of(
            "unshare", "setns", "clone",
            "mount", "umount2", "pivot_root",
            "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr");

    private static final Set<String> NAMES = Set.copyOf(SYSCALLS);

    private NestedNamespaces() {
    }

    /**
     * The policy with the profile's rules for {@link #SYSCALLS} replaced by one unconditional
     * ALLOW each (none is needed when the default action already is ALLOW). Rules for all other
     * syscalls, their order, the default action and the ABIs are unchanged.
     */
    static SeccompPolicy allow(SeccompPolicy policy) {
        List<SyscallRule> rules = new ArrayList<>();
        for (SyscallRule rule : policy.rules()) {
            if (!NAMES.contains(rule.syscall())) {
                rules.add(rule);
            }
        }
        if (!policy.defaultAction().equals(SeccompAction.ALLOW)) {
            for (String syscall : SYSCALLS) {
                rules.add(SyscallRule.unconditional(syscall, SeccompAction.ALLOW));
            }
        }
        return new SeccompPolicy(policy.defaultAction(), policy.abis(), rules);
    }
}
