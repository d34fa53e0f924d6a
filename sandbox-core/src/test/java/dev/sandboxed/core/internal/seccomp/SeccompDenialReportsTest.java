package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * Denial reports turn default-action refusals into user notifications that the sandbox's init answers. A
 * process starting up cannot have its init answer (the init waits for it), so reports are only compiled in
 * when the profile always allows what a process calls between loading the filter and execve.
 */
class SeccompDenialReportsTest {
    private static final KernelVersion KERNEL = new KernelVersion(6, 1, 0);

    private static SeccompProfile profile(SeccompPolicy policy) {
        return new SeccompProfile() {
            @Override
            public String name() {
                return "test-" + policy.hashCode();
            }

            @Override
            public Optional<SeccompPolicy> policy(Set<Capability> caps, SyscallArch nativeArch, KernelVersion kernel) {
                return Optional.of(policy);
            }
        };
    }

    private static boolean reports(SeccompPolicy policy) {
        return SeccompFilters.forSandbox(profile(policy), Capability.DOCKER_DEFAULT, SyscallArch.X86_64, KERNEL, true)
                .orElseThrow().notifyDenials();
    }

    private static SeccompPolicy allowList(String... allowed) {
        return new SeccompPolicy(SeccompAction.errno(1), Set.of(SyscallArch.X86_64),
                Arrays.stream(allowed).map(s -> SyscallRule.unconditional(s, SeccompAction.ALLOW)).toList());
    }

    @Test
    void theDefaultProfileKeepsItsReports() {
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.X86_64, KERNEL, true).orElseThrow().notifyDenials()).isTrue();
    }

    @Test
    void aProfileThatRefusesACallBeforeExecGetsPlainErrnoDenials() {
        assertThat(reports(allowList("sendmsg", "close", "execve", "read"))).isTrue();
        assertThat(reports(allowList("sendmsg", "close", "read"))).as("execve refused").isFalse();
        assertThat(reports(allowList("close", "execve"))).as("sendmsg refused").isFalse();
    }

    @Test
    void aConditionalRuleIsNotAlwaysAllowed() {
        SeccompPolicy conditional = new SeccompPolicy(SeccompAction.errno(1), Set.of(SyscallArch.X86_64), List.of(
                SyscallRule.unconditional("sendmsg", SeccompAction.ALLOW),
                SyscallRule.unconditional("close", SeccompAction.ALLOW),
                new SyscallRule("execve", List.of(ArgCondition.of(1, ArgCondition.Op.EQ, 0)), SeccompAction.ALLOW)));
        assertThat(conditional.alwaysAllows("execve")).isFalse();
        assertThat(reports(conditional)).isFalse();
        SeccompPolicy blockList = new SeccompPolicy(SeccompAction.ALLOW, Set.of(SyscallArch.X86_64),
                List.of(SyscallRule.unconditional("keyctl", SeccompAction.errno(1))));
        assertThat(blockList.alwaysAllows("execve")).isTrue();
    }
}
