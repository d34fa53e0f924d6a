package dev.sandboxed.core.internal.seccomp;

import java.util.EnumSet;

/**
 * Compat ABIs off by default. Docker's profile maps SCMP_ARCH_X86_64 to X86 and X32, so an x86_64 process can make
 * every call the profile allows a second time through {@code int $0x80} (i386) or with the x32 bit set: old
 * entry points, with their own compat code paths in the kernel, that a 64-bit test workload never needs and that
 * have a record of kernel bugs. Like systemd's {@code SystemCallArchitectures=native}, a call of any other ABI kills
 * the process (SIGSYS): a clear end for a 32-bit binary, where EPERM on every call would make it fail in confusing
 * ways. Workloads that run 32-bit binaries opt in and get the profile's own architecture list back.
 */
final class CompatArchitectures {
    private CompatArchitectures() {
    }

    /** The policy judging only {@code nativeArch}'s calls; the filter kills calls of every other ABI. */
    static SeccompPolicy nativeOnly(SeccompPolicy policy, SyscallArch nativeArch) {
        return new SeccompPolicy(policy.defaultAction(), EnumSet.of(nativeArch), policy.rules());
    }
}
