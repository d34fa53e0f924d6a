package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.KernelVersion;

/** The bypass's filter: bind and connect notified, MSG_FASTOPEN refused, and only where nothing connects unseen. */
class BindBypassTest {
    private static final int X86_64 = SyscallArch.X86_64.auditArch();
    private static final long BIND = 49, CONNECT = 42, SENDTO = 44, SENDMSG = 46, SENDMMSG = 307;
    private static final long MSG_NOSIGNAL = 0x4000;

    private static SeccompPolicy policy(Set<SyscallArch> abis, String... extra) {
        List<SyscallRule> rules = new ArrayList<>();
        for (String call : List.of("bind", "connect", "sendto", "sendmsg", "sendmmsg", "close", "execve")) {
            rules.add(SyscallRule.unconditional(call, SeccompAction.ALLOW));
        }
        for (String call : extra) {
            rules.add(SyscallRule.unconditional(call, SeccompAction.ALLOW));
        }
        return new SeccompPolicy(SeccompAction.errno(1), abis, rules);
    }

    private static SeccompAction decide(SeccompFilter filter, long nr, long... args) {
        return BpfInterpreter.decide(filter.program(), SeccompData.of(X86_64, nr, args));
    }

    @Test
    void bindAndConnectGoToTheInitAndFastOpenSendsFail() {
        SeccompFilter filter = SeccompCompiler.compile(policy(EnumSet.of(SyscallArch.X86_64)), SyscallArch.X86_64,
                true, true);
        assertThat(filter.notifyBind()).isTrue();
        assertThat(decide(filter, BIND, 3, 0, 16)).isEqualTo(SeccompAction.USER_NOTIF);
        assertThat(decide(filter, CONNECT, 3, 0, 16)).isEqualTo(SeccompAction.USER_NOTIF);
        SeccompAction eopnotsupp = SeccompAction.errno(95);
        assertThat(decide(filter, SENDTO, 3, 0, 1, BindBypass.MSG_FASTOPEN, 0, 16)).isEqualTo(eopnotsupp);
        assertThat(decide(filter, SENDMSG, 3, 0, BindBypass.MSG_FASTOPEN | MSG_NOSIGNAL)).isEqualTo(eopnotsupp);
        assertThat(decide(filter, SENDMMSG, 3, 0, 1, BindBypass.MSG_FASTOPEN)).isEqualTo(eopnotsupp);
        assertThat(decide(filter, SENDTO, 3, 0, 1, MSG_NOSIGNAL, 0, 0)).isEqualTo(SeccompAction.ALLOW);
        assertThat(decide(filter, SENDMSG, 3, 0, 0)).isEqualTo(SeccompAction.ALLOW);
        // The high half of an int argument is not the flags'.
        assertThat(decide(filter, SENDMSG, 3, 0, 0xffffffff00000000L)).isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void noBypassWhereIoUringOrACompatAbiCouldConnectUnseen() {
        SeccompFilter uring = SeccompCompiler.compile(policy(EnumSet.of(SyscallArch.X86_64), "io_uring_setup"),
                SyscallArch.X86_64, true, true);
        assertThat(uring.notifyBind()).isFalse();
        assertThat(decide(uring, CONNECT, 3, 0, 16)).isEqualTo(SeccompAction.ALLOW);
        SeccompFilter compat = SeccompCompiler.compile(policy(EnumSet.of(SyscallArch.X86_64, SyscallArch.X86)),
                SyscallArch.X86_64, true, true);
        assertThat(compat.notifyBind()).isFalse();
        SeccompPolicy allowAll = new SeccompPolicy(SeccompAction.ALLOW, EnumSet.of(SyscallArch.X86_64), List.of());
        assertThat(SeccompCompiler.compile(allowAll, SyscallArch.X86_64, true, true).notifyBind()).isFalse();
    }

    @Test
    void kernelsWithoutTheNetworkNamespaceCookieGetNoBypass() {
        // The init tells host sockets from the sandbox's by SO_NETNS_COOKIE (5.14): without it nothing could connect.
        assertThat(BindBypass.hostSupports(new KernelVersion(5, 10, 0))).isFalse();
        assertThat(BindBypass.hostSupports(new KernelVersion(5, 13, 19))).isFalse();
    }
}
