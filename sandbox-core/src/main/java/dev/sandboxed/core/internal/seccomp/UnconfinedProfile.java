package dev.sandboxed.core.internal.seccomp;

import java.util.Optional;
import java.util.Set;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/** The {@code unconfined} profile: no filter is loaded at all. */
final class UnconfinedProfile implements SeccompProfile {
    static final UnconfinedProfile INSTANCE = new UnconfinedProfile();

    private UnconfinedProfile() {
    }

    @Override
    public String name() {
        return SeccompProfiles.UNCONFINED;
    }

    @Override
    public Optional<SeccompPolicy> policy(Set<Capability> caps, SyscallArch nativeArch, KernelVersion kernel) {
        return Optional.empty();
    }
}
