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
 * through unchanged. The process then holds host sockets, so connect(2) goes to the init as well, which refuses it
 * on a host socket and does every other one itself (sockcall.c), and a send with MSG_FASTOPEN (which connects, or
 * with AF_UNSPEC disconnects, like connect) fails with EOPNOTSUPP, as where the host disables TCP Fast Open.
 *
 * <p>Only where the policy always allows bind and connect (their decision is replaced), never allows
 * io_uring_setup (IORING_OP_CONNECT would connect unseen), judges no compat ABI (i386's socketcall carries its
 * arguments in memory), and where the listener can be handed over before execve
 * ({@link SeccompFilters#canReportDenials}). Every other syscall keeps its decision.
 */
final class BindBypass {
    static final String SYSCALL = "bind";
    static final String CONNECT = "connect";
    /** MSG_FASTOPEN of linux/socket.h. */
    static final long MSG_FASTOPEN = 0x20000000L;
    /** EOPNOTSUPP: what tcp_sendmsg_fastopen answers where the host's net.ipv4.tcp_fastopen disables it. */
    static final int EOPNOTSUPP = 95;
    /**
     * SECCOMP_IOCTL_NOTIF_ADDFD (5.9) puts the host socket in place of the server's; pidfd_getfd (5.6) reads it;
     * SO_NETNS_COOKIE (5.14) tells the init's connect and bind emulation a host socket from the sandbox's own, and
     * without it every connect and every other bind would be refused.
     */
    private static final KernelVersion NEEDED = new KernelVersion(5, 14, 0);

    private BindBypass() {
    }

    static boolean possible(SeccompPolicy policy) {
        return policy.alwaysAllows(SYSCALL) && policy.alwaysAllows(CONNECT) && !mayAllow(policy, "io_uring_setup")
                && policy.abis().stream().allMatch(SyscallArch::isNative) && SeccompFilters.canReportDenials(policy);
    }

    /** Whether some call of {@code syscall} may be let through: any rule naming it, or the default, permits. */
    private static boolean mayAllow(SeccompPolicy policy, String syscall) {
        boolean named = false;
        for (SyscallRule rule : policy.rules()) {
            if (rule.syscall().equals(syscall)) {
                named = true;
                if (rule.action().permits() || !rule.isUnconditional()) {
                    return true;
                }
                break;
            }
        }
        return !named && policy.defaultAction().permits();
    }

    /**
     * The policy with bind and connect notified (their rules dropped, an unconditional USER_NOTIF first) and
     * MSG_FASTOPEN refused on sendto, sendmsg and sendmmsg (first-match: before the policy's own rules).
     */
    static SeccompPolicy notifyBind(SeccompPolicy policy) {
        List<SyscallRule> rules = new ArrayList<>();
        rules.add(SyscallRule.unconditional(SYSCALL, SeccompAction.USER_NOTIF));
        rules.add(SyscallRule.unconditional(CONNECT, SeccompAction.USER_NOTIF));
        SeccompAction refuse = SeccompAction.errno(EOPNOTSUPP);
        for (String call : new String[] {"sendto", "sendmsg", "sendmmsg"}) {
            int flags = call.equals("sendmsg") ? 2 : 3;
            rules.add(new SyscallRule(call, List.of(ArgCondition.masked(flags, MSG_FASTOPEN, MSG_FASTOPEN).low32()),
                    refuse));
        }
        for (SyscallRule rule : policy.rules()) {
            if (!rule.syscall().equals(SYSCALL) && !rule.syscall().equals(CONNECT)) {
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
