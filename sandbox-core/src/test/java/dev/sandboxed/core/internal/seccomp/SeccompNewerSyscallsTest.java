package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * Syscalls added after Linux 6.1 get the decision Docker's default profile makes for them, on
 * x86_64 and aarch64, instead of ENOSYS or being unknown by name.
 */
class SeccompNewerSyscallsTest {
    private static final KernelVersion KERNEL = new KernelVersion(6, 18, 0);
    private static final SeccompAction ALLOW = SeccompAction.ALLOW;
    private static final SeccompAction EPERM = SeccompAction.errno(SeccompAction.EPERM);
    private static final SeccompAction ENOSYS = SeccompAction.errno(SeccompAction.ENOSYS);

    /** In the unconditional allow list of Docker's profile. */
    private static final List<String> DOCKER_ALLOWS = List.of("cachestat", "fchmodat2", "map_shadow_stack", "futex_wake",
            "futex_wait", "futex_requeue", "statmount", "listmount", "mseal", "setxattrat", "getxattrat", "listxattrat",
            "removexattrat");
    /** Allowed by Docker only with CAP_SYS_ADMIN. */
    private static final List<String> DOCKER_NEEDS_SYS_ADMIN = List.of("lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules");
    /** Named in no Docker profile: Docker's default action (EPERM) applies. */
    private static final List<String> DOCKER_LACKS = List.of("open_tree_attr", "file_getattr", "file_setattr");

    private static SeccompAction decide(String profile, SyscallArch arch, SyscallArch abi, Set<Capability> caps, String syscall) {
        SeccompFilter filter = SeccompFilters.forSandbox(SeccompProfiles.named(profile), caps, arch, KERNEL, false).orElseThrow();
        long nr = Integer.toUnsignedLong(SyscallTable.of(abi).numberOf(syscall).orElseThrow(() -> new AssertionError(syscall)));
        return BpfInterpreter.decide(filter.program(), SeccompData.of(abi.auditArch(), nr, new long[0]));
    }

    private static SeccompAction decide(SyscallArch arch, Set<Capability> caps, String syscall) {
        return decide(SeccompProfiles.DEFAULT, arch, arch, caps, syscall);
    }

    @Test
    void newSyscallsResolveByNameOnBothArchitectures() {
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
            SyscallTable table = SyscallTable.of(arch);
            assertThat(table.numberOf("fchmodat2")).as(arch.name()).hasValue(452);
            assertThat(table.numberOf("futex_wait")).as(arch.name()).hasValue(455);
            assertThat(table.numberOf("futex_wake")).as(arch.name()).hasValue(454);
            assertThat(table.numberOf("file_getattr")).as(arch.name()).hasValue(468);
        }
    }

    @Test
    void whatDockerAllowsIsAllowed() {
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
            for (String syscall : DOCKER_ALLOWS) {
                assertThat(decide(arch, Capability.DOCKER_DEFAULT, syscall)).as(arch + " " + syscall).isEqualTo(ALLOW);
                assertThat(decide(SeccompProfiles.DOCKER_DEFAULT, arch, arch, Capability.DOCKER_DEFAULT, syscall))
                        .as("docker-default " + arch + " " + syscall).isEqualTo(ALLOW);
            }
        }
        assertThat(decide(SyscallArch.X86_64, Capability.DOCKER_DEFAULT, "uretprobe")).isEqualTo(ALLOW);
        // The compat ABIs of an x86_64 filter use their own numbers for the same syscalls.
        assertThat(decide(SeccompProfiles.DEFAULT, SyscallArch.X86_64, SyscallArch.X86, Capability.DOCKER_DEFAULT, "fchmodat2"))
                .isEqualTo(ALLOW);
        assertThat(decide(SeccompProfiles.DEFAULT, SyscallArch.X86_64, SyscallArch.X32, Capability.DOCKER_DEFAULT, "futex_wait"))
                .isEqualTo(ALLOW);
    }

    @Test
    void whatDockerRefusesIsRefusedWithEperm() {
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
            for (String syscall : DOCKER_NEEDS_SYS_ADMIN) {
                assertThat(decide(arch, Capability.DOCKER_DEFAULT, syscall)).as(arch + " " + syscall).isEqualTo(EPERM);
                assertThat(decide(arch, EnumSet.of(Capability.SYS_ADMIN), syscall)).as(arch + " " + syscall + " with SYS_ADMIN")
                        .isEqualTo(ALLOW);
            }
            for (String syscall : DOCKER_LACKS) {
                assertThat(decide(arch, Capability.DOCKER_DEFAULT, syscall)).as(arch + " " + syscall).isEqualTo(EPERM);
            }
        }
        assertThat(decide(SyscallArch.X86_64, Capability.DOCKER_DEFAULT, "uprobe")).isEqualTo(EPERM);
    }

    @Test
    void numbersAfterTheTableStillFailWithEnosys() {
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
            SeccompFilter filter = SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT, arch, KERNEL,
                    false).orElseThrow();
            assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(arch.auditArch(), 470, new long[0])))
                    .as(arch.name()).isEqualTo(ENOSYS);
        }
    }
}
