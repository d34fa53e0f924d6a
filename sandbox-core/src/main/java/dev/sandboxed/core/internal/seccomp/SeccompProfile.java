package dev.sandboxed.core.internal.seccomp;

import java.util.Optional;
import java.util.Set;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * A named seccomp profile: something that, given the sandbox's capabilities and the native
 * architecture, yields a policy, or nothing when the sandbox runs unconfined.
 */
public interface SeccompProfile {

    /** Name for messages: "default", "unconfined" or the file the profile came from. */
    String name();

    /**
     * The policy for a sandbox holding {@code caps}, or empty when no filter must be loaded.
     *
     * @param kernel the running kernel, for {@code minKernel} conditions
     */
    Optional<SeccompPolicy> policy(Set<Capability> caps, SyscallArch nativeArch, KernelVersion kernel);
}
