package dev.sandboxed.core.internal.host;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Answers to "can this host do X?" for the runtime and for tests that must skip, computed once per JVM by
 * {@link #current()} (the user namespace probe starts a process, so it is not repeated).
 */
public final class HostFacts {
    private static final Memo<HostFacts> CURRENT = new Memo<>(() -> detect(HostEnvironment.system()));

    private final UserIdentity identity;
    private final boolean userNamespacesUsable;
    private final Optional<IdRange> subuidRange;
    private final Optional<IdRange> subgidRange;
    private final boolean newuidmapUsable;

    private HostFacts(UserIdentity identity, boolean userNamespacesUsable, Optional<IdRange> subuidRange,
                      Optional<IdRange> subgidRange, boolean newuidmapUsable) {
        this.identity = identity;
        this.userNamespacesUsable = userNamespacesUsable;
        this.subuidRange = subuidRange;
        this.subgidRange = subgidRange;
        this.newuidmapUsable = newuidmapUsable;
    }

    /** The facts of the host this JVM runs on, detected on first call and cached. */
    public static HostFacts current() {
        return CURRENT.get();
    }

    /**
     * Detects the facts of {@code host} now.
     *
     * @throws IllegalStateException when the process identity cannot be read from {@code /proc/self/status}
     */
    public static HostFacts detect(HostEnvironment host) {
        Objects.requireNonNull(host, "host");
        UserIdentity identity = UserIdentity.read(host);
        SubordinateIds ids = SubordinateIds.of(host);
        return new HostFacts(identity,
                userNamespacesUsable(host, identity),
                first(ids.uidRanges(identity.name(), identity.uid())),
                first(ids.gidRanges(identity.name(), identity.uid())),
                new IdMapTools(host).bothUsable());
    }

    /** The probe decides; only without {@code unshare} fall back to what the sysctls allow. */
    private static boolean userNamespacesUsable(HostEnvironment host, UserIdentity identity) {
        UserNamespaceProbe.Outcome outcome = new UserNamespaceProbe(host).outcome();
        return switch (outcome.verdict()) {
            case USABLE -> true;
            case BLOCKED -> false;
            case NOT_PROBED -> UserNamespaceSysctls.read(host).allow(identity.isRoot());
        };
    }

    private static Optional<IdRange> first(List<IdRange> ranges) {
        return ranges.stream().findFirst();
    }

    /** Whether this process can create a user namespace (and so a sandbox). */
    public boolean userNamespacesUsable() {
        return userNamespacesUsable;
    }

    /** The user's first {@code /etc/subuid} range; empty when it has none. */
    public Optional<IdRange> subuidRange() {
        return subuidRange;
    }

    /** The user's first {@code /etc/subgid} range; empty when it has none. */
    public Optional<IdRange> subgidRange() {
        return subgidRange;
    }

    /** Whether both {@code newuidmap} and {@code newgidmap} are installed and privileged (setuid root or capable). */
    public boolean newuidmapUsable() {
        return newuidmapUsable;
    }

    /** Whether the effective uid is 0. */
    public boolean isRoot() {
        return identity.isRoot();
    }

    /** The real uid (as C's {@code getuid()}; ids above {@link Integer#MAX_VALUE} wrap like a C {@code int}). */
    public int uid() {
        return (int) identity.uid();
    }

    /** The real gid (as C's {@code getgid()}). */
    public int gid() {
        return (int) identity.gid();
    }

    /** The user name for the real uid, or the uid as text when it has no name. */
    public String userName() {
        return identity.name();
    }

    /** The full identity, including the effective uid. */
    public UserIdentity identity() {
        return identity;
    }
}
