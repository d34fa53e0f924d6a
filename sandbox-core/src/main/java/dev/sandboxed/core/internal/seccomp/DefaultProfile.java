package dev.sandboxed.core.internal.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * The built-in {@code default} profile: Docker's default profile (shipped unchanged as
 * {@code docker-default.json}), plus rules Docker lacks:
 * <ul>
 * <li>ioctl TIOCSTI and TIOCLINUX are refused with EPERM. Both inject input into a terminal the
 *     sandbox may share with the host. The request is compared on its low 32 bits only, because
 *     the kernel ignores the high bits (CVE-2019-10063: 0xffffffff00005412 is TIOCSTI too).</li>
 * <li>The socket family and personality arguments are compared on their low 32 bits: the kernel
 *     takes them as int, so {@code socket(AF_ALG | 1L << 32, ...)} must not pass the
 *     {@code family > AF_VSOCK} rule that Docker's 64-bit comparison lets it through.</li>
 * </ul>
 * For arguments without high bits the decisions are exactly Docker's, except for the two ioctls.
 */
final class DefaultProfile implements SeccompProfile {
    static final long TIOCSTI = 0x5412;
    static final long TIOCLINUX = 0x541C;

    private final OciProfile docker;

    DefaultProfile(OciProfile docker) {
        this.docker = docker;
    }

    @Override
    public String name() {
        return SeccompProfiles.DEFAULT;
    }

    @Override
    public Optional<SeccompPolicy> policy(Set<Capability> caps, SyscallArch nativeArch, KernelVersion kernel) {
        SeccompPolicy base = OciProfileResolver.resolve(docker, caps, nativeArch, kernel);
        return Optional.of(harden(base));
    }

    static SeccompPolicy harden(SeccompPolicy policy) {
        SeccompAction refuse = SeccompAction.errno(SeccompAction.EPERM);
        List<SyscallRule> rules = new ArrayList<>();
        // First-match semantics: the refusals must come before any ioctl rule that allows.
        for (long request : new long[] {TIOCSTI, TIOCLINUX}) {
            rules.add(new SyscallRule("ioctl", List.of(ArgCondition.of(1, ArgCondition.Op.EQ, request).low32()), refuse));
        }
        for (SyscallRule rule : policy.rules()) {
            rules.add(rule.syscall().equals("socket") || rule.syscall().equals("personality") ? arg0Low32(rule) : rule);
        }
        return new SeccompPolicy(policy.defaultAction(), policy.abis(), rules);
    }

    private static SyscallRule arg0Low32(SyscallRule rule) {
        List<ArgCondition> conditions = new ArrayList<>();
        for (ArgCondition c : rule.conditions()) {
            conditions.add(c.index() == 0 ? c.low32() : c);
        }
        return new SyscallRule(rule.syscall(), conditions, rule.action());
    }
}
