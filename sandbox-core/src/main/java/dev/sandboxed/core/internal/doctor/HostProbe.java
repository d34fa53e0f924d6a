package dev.sandboxed.core.internal.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.egress.EgressTools;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.IdMapTools;
import dev.sandboxed.core.internal.host.Memo;
import dev.sandboxed.core.internal.host.SubordinateIds;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.internal.host.UserNamespaceProbe;
import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.image.OwnerPolicy;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe;
import dev.sandboxed.core.internal.runtime.InitBinary;
import dev.sandboxed.core.spec.ImageRootMode;

/** The standard set of host checks behind {@code sandboxed doctor}, in report order. */
public final class HostProbe {
    private HostProbe() {
    }

    /** The standard checks against the real host. */
    public static List<HostCheck> standardChecks() {
        return standardChecks(HostEnvironment.system());
    }

    /**
     * The standard checks against {@code host}. Checks share one user namespace probe and read the process identity
     * lazily, so building the list costs nothing and an unreadable {@code /proc} shows up as a FAIL line.
     */
    public static List<HostCheck> standardChecks(HostEnvironment host) {
        Supplier<UserIdentity> identity = new Memo<>(() -> UserIdentity.read(host));
        UserNamespaceProbe probe = new UserNamespaceProbe(host);
        return List.of(
                new KernelVersionCheck(host),
                new SyscallSupportCheck(host),
                new MaxUserNamespacesCheck(host),
                new UnprivilegedUsernsCloneCheck(host, identity),
                new AppArmorUsernsRestrictionCheck(host, identity),
                new UserNamespaceProbeCheck(probe, identity),
                // Explains the probe's failure; the probe line already decides whether sandboxes can run.
                AdvisoryCheck.of(new ContainerCheck(host, probe)),
                new SubordinateIdsCheck(SubordinateIds.of(host), identity),
                new IdMapToolsCheck(new IdMapTools(host), identity),
                new SeccompCheck(host),
                new OverlayCheck(host),
                AdvisoryCheck.of(new ImageRootCheck(host, Optional.ofNullable(System.getProperty(ImageRootMode.PROPERTY)),
                        new ImageRootProbe(host.commands(), InitBinary::locate, ImageCache.defaultDirectory())::probe)),
                AdvisoryCheck.of(new ImageOwnershipCheck(new Memo<>(() -> OwnerPolicy.forHost(host)))),
                AdvisoryCheck.of(new EgressCheck(new EgressTools(host), System.getProperty(EgressTools.TOOL_PROPERTY))));
    }

    /**
     * Runs the standard checks on the real host followed by {@code extra} (for example the cgroup check); extra
     * checks are essential unless wrapped in {@link AdvisoryCheck}.
     */
    public static HostReport runStandard(List<HostCheck> extra) {
        return runStandard(HostEnvironment.system(), extra);
    }

    /** As {@link #runStandard(List)}, against {@code host}. */
    public static HostReport runStandard(HostEnvironment host, List<HostCheck> extra) {
        List<HostCheck> checks = new ArrayList<>(standardChecks(host));
        checks.addAll(extra);
        return HostReport.run(checks);
    }
}
