package dev.sandboxed.core.internal.seccomp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.internal.host.KernelVersion;

/**
 * The filter side of the port bypass: bind(2) goes to the init's listener (SECCOMP_RET_USER_NOTIF), which gives a
 * server binding a published TCP port the host's socket (see sandbox-init's bypass.c) and lets every other bind
 * through unchanged. Only where the policy always allows bind (its decision is replaced, and the init then never
 * refuses one), and where the listener can be handed over before execve ({@link SeccompFilters#canReportDenials}).
 * Every other syscall keeps its decision.
 */
final class BindBypass {
    static final String SYSCALL = "bind";
    /** SECCOMP_IOCTL_NOTIF_ADDFD (5.9) puts the host socket in place of the server's; pidfd_getfd (5.6) reads it. */
    private static final KernelVersion NEEDED = new KernelVersion(5, 9, 0);

    private BindBypass() {
    }

    static boolean possible(SeccompPolicy policy) {
        return policy.alwaysAllows(SYSCALL) && SeccompFilters.canReportDenials(policy);
    }

    /** The policy with bind notified: its rules for bind dropped, one unconditional USER_NOTIF first. */
    static SeccompPolicy notifyBind(SeccompPolicy policy) {
        List<SyscallRule> rules = new ArrayList<>();
        rules.add(SyscallRule.unconditional(SYSCALL, SeccompAction.USER_NOTIF));
        for (SyscallRule rule : policy.rules()) {
            if (!rule.syscall().equals(SYSCALL)) {
                rules.add(rule);
            }
        }
        return new SeccompPolicy(policy.defaultAction(), policy.abis(), rules);
    }

    /** The kernel has user notification with ADDFD (the doctor's seccomp check lists user_notif too). */
    static boolean hostSupports(KernelVersion kernel) {
        if (kernel.compareTo(NEEDED) < 0) {
            return false;
        }
        try {
            return Files.readString(Path.of("/proc/sys/kernel/seccomp/actions_avail")).contains("user_notif");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
