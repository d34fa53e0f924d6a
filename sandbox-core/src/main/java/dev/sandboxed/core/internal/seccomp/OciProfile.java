package dev.sandboxed.core.internal.seccomp;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * A Docker/OCI seccomp profile as parsed from JSON, before it is resolved against a sandbox's
 * capabilities and architecture by {@link OciProfileResolver}.
 *
 * @param name           where the profile came from, for messages
 * @param defaultAction  {@code defaultAction} with {@code defaultErrnoRet}
 * @param architectures  the {@code architectures} list (SCMP_ARCH_* names), may be empty
 * @param archMap        {@code archMap}: architecture to its sub-architectures, may be empty
 * @param syscalls       the {@code syscalls} entries in file order
 */
public record OciProfile(String name, SeccompAction defaultAction, List<String> architectures,
                         Map<String, List<String>> archMap, List<Entry> syscalls) implements SeccompProfile {

    public OciProfile {
        architectures = List.copyOf(architectures);
        archMap = Map.copyOf(archMap);
        syscalls = List.copyOf(syscalls);
    }

    /** One element of {@code syscalls}. */
    public record Entry(List<String> names, SeccompAction action, List<ArgCondition> args,
                        Filter includes, Filter excludes) {
        public Entry {
            names = List.copyOf(names);
            args = List.copyOf(args);
        }
    }

    /**
     * {@code includes} or {@code excludes}: capabilities (CAP_* names), architectures (GOARCH
     * names such as amd64) and a minimum kernel. Names stay strings: a capability this code does
     * not know can never be held, which is exactly how it must be treated.
     */
    public record Filter(List<String> caps, List<String> arches, Optional<KernelVersion> minKernel) {
        public static final Filter NONE = new Filter(List.of(), List.of(), Optional.empty());

        public Filter {
            caps = List.copyOf(caps);
            arches = List.copyOf(arches);
        }
    }

    @Override
    public Optional<SeccompPolicy> policy(Set<Capability> caps, SyscallArch nativeArch, KernelVersion kernel) {
        return Optional.of(OciProfileResolver.resolve(this, caps, nativeArch, kernel));
    }
}
