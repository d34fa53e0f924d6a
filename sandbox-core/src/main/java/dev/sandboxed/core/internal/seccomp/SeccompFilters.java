package dev.sandboxed.core.internal.seccomp;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * What the sandbox runtime calls: the filter for a profile and a capability set, compiled once
 * per distinct combination and then served from memory.
 */
public final class SeccompFilters {
    private static final Map<Key, Optional<SeccompFilter>> CACHE = new ConcurrentHashMap<>();

    /** Profiles are compared by identity: SeccompProfiles hands out one instance per profile. */
    private record Key(ProfileIdentity profile, long caps, SyscallArch arch, KernelVersion kernel, boolean notifyDenials,
                       boolean allowNestedNamespaces, boolean compatArchitectures, boolean notifyBind) {
    }

    private static final class ProfileIdentity {
        private final SeccompProfile profile;

        ProfileIdentity(SeccompProfile profile) {
            this.profile = profile;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ProfileIdentity && ((ProfileIdentity) o).profile == profile;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(profile);
        }
    }

    private static volatile KernelVersion hostKernel;

    private SeccompFilters() {
    }

    /**
     * The filter for a sandbox on this host, with nested namespaces refused as the profile says.
     * Same as {@link #forSandbox(String, Set, boolean, boolean) forSandbox(profileNameOrPath, caps, notifyDenials, false)}.
     *
     * @param profileNameOrPath "default", "docker-default", "unconfined" or a JSON profile path
     * @param caps              the capabilities the sandboxed process holds
     * @param notifyDenials     report default-action denials through SECCOMP_RET_USER_NOTIF
     * @return the filter, or empty when the profile is unconfined and nothing must be loaded
     */
    public static Optional<SeccompFilter> forSandbox(String profileNameOrPath, Set<Capability> caps, boolean notifyDenials) {
        return forSandbox(profileNameOrPath, caps, notifyDenials, false);
    }

    /**
     * The filter for a sandbox on this host.
     *
     * @param profileNameOrPath     "default", "docker-default", "unconfined" or a JSON profile path
     * @param caps                  the capabilities the sandboxed process holds
     * @param notifyDenials         report default-action denials through SECCOMP_RET_USER_NOTIF
     * @param allowNestedNamespaces also allow unshare, setns, clone with namespace flags, mount,
     *                              umount2, pivot_root and the new mount API, so the sandbox can
     *                              create nested user namespaces; see {@code NestedNamespaces}.
     *                              Changes nothing for the unconfined profile.
     * @return the filter, or empty when the profile is unconfined and nothing must be loaded
     */
    public static Optional<SeccompFilter> forSandbox(String profileNameOrPath, Set<Capability> caps, boolean notifyDenials,
                                                     boolean allowNestedNamespaces) {
        return forSandbox(profileNameOrPath, caps, notifyDenials, allowNestedNamespaces, false);
    }

    /**
     * The filter for a sandbox on this host.
     *
     * @param compatArchitectures also judge the compat ABIs the profile lists (i386 and x32 on x86_64) by its
     *                            rules, as Docker does; false kills every call of a non-native ABI, like systemd's
     *                            {@code SystemCallArchitectures=native}. See {@link CompatArchitectures}.
     */
    public static Optional<SeccompFilter> forSandbox(String profileNameOrPath, Set<Capability> caps, boolean notifyDenials,
                                                     boolean allowNestedNamespaces, boolean compatArchitectures) {
        return forSandbox(profileNameOrPath, caps, notifyDenials, allowNestedNamespaces, compatArchitectures, false);
    }

    /**
     * As above; with {@code bindBypass}, bind(2) is sent to the init for the port bypass where this host and the
     * policy allow it ({@link SeccompFilter#notifyBind()} says whether it is).
     */
    public static Optional<SeccompFilter> forSandbox(String profileNameOrPath, Set<Capability> caps, boolean notifyDenials,
                                                     boolean allowNestedNamespaces, boolean compatArchitectures,
                                                     boolean bindBypass) {
        return forSandbox(SeccompProfiles.named(profileNameOrPath), caps, SyscallArch.nativeArch(), host(), notifyDenials,
                allowNestedNamespaces, compatArchitectures, bindBypass && BindBypass.hostSupports(host()));
    }

    /** The filter for an explicit architecture and kernel (used by tests and by tools that cross-compile). */
    public static Optional<SeccompFilter> forSandbox(SeccompProfile profile, Set<Capability> caps, SyscallArch arch,
                                                     KernelVersion kernel, boolean notifyDenials) {
        return forSandbox(profile, caps, arch, kernel, notifyDenials, false);
    }

    /**
     * The filter for an explicit architecture and kernel, optionally allowing nested namespaces, judging every ABI
     * the profile lists (the compat opt-in: exactly what the profile file states).
     */
    public static Optional<SeccompFilter> forSandbox(SeccompProfile profile, Set<Capability> caps, SyscallArch arch,
                                                     KernelVersion kernel, boolean notifyDenials,
                                                     boolean allowNestedNamespaces) {
        return forSandbox(profile, caps, arch, kernel, notifyDenials, allowNestedNamespaces, true);
    }

    /** The filter for an explicit architecture and kernel, with every choice explicit. */
    public static Optional<SeccompFilter> forSandbox(SeccompProfile profile, Set<Capability> caps, SyscallArch arch,
                                                     KernelVersion kernel, boolean notifyDenials,
                                                     boolean allowNestedNamespaces, boolean compatArchitectures) {
        return forSandbox(profile, caps, arch, kernel, notifyDenials, allowNestedNamespaces, compatArchitectures, false);
    }

    /** The filter for an explicit architecture and kernel, with every choice explicit, the bind bypass too. */
    public static Optional<SeccompFilter> forSandbox(SeccompProfile profile, Set<Capability> caps, SyscallArch arch,
                                                     KernelVersion kernel, boolean notifyDenials,
                                                     boolean allowNestedNamespaces, boolean compatArchitectures,
                                                     boolean notifyBind) {
        Key key = new Key(new ProfileIdentity(profile), Capability.mask(caps), arch, kernel, notifyDenials,
                allowNestedNamespaces, compatArchitectures, notifyBind);
        return CACHE.computeIfAbsent(key, k -> profile.policy(caps, arch, kernel)
                .map(policy -> compatArchitectures ? policy : CompatArchitectures.nativeOnly(policy, arch))
                .map(policy -> allowNestedNamespaces ? NestedNamespaces.allow(policy) : policy)
                .map(policy -> SeccompCompiler.compile(policy, arch, notifyDenials && canReportDenials(policy),
                        notifyBind)));
    }

    /**
     * Between loading the filter and execve, a starting process hands its init the notification listener
     * (sendmsg, close) and then calls execve, while its init waits for it. A refused call there would wait
     * forever for an answer only that init could give, so a profile that does not always allow these calls
     * gets plain errno denials, without reports.
     */
    static final List<String> CALLS_BEFORE_EXEC = List.of("sendmsg", "close", "execve");

    static boolean canReportDenials(SeccompPolicy policy) {
        return CALLS_BEFORE_EXEC.stream().allMatch(policy::alwaysAllows);
    }

    private static KernelVersion host() {
        KernelVersion kernel = hostKernel;
        if (kernel == null) {
            kernel = KernelVersion.host();
            hostKernel = kernel;
        }
        return kernel;
    }
}
