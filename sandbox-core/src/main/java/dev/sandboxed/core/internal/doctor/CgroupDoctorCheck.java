package dev.sandboxed.core.internal.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.sandboxed.core.internal.cgroup.CgroupConfig;
import dev.sandboxed.core.internal.cgroup.CgroupDiscovery;
import dev.sandboxed.core.internal.cgroup.CgroupException;
import dev.sandboxed.core.internal.cgroup.CgroupLayout;
import dev.sandboxed.core.internal.cgroup.CgroupManager;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * {@code sandboxed doctor} line for cgroups: the version, which controllers this user can use for sandboxes and
 * where, and the exact fix when limits cannot be enforced.
 */
public final class CgroupDoctorCheck implements HostCheck {
    /** Limits touching every controller sandboxes can use, to learn whether all of them would work. */
    static final ResourceLimits ALL_CONTROLLERS = ResourceLimits.NONE.withMemoryMax(64L << 20).withCpus(1)
            .withPidsMax(1024);

    private final CgroupConfig config;

    public CgroupDoctorCheck(CgroupConfig config) {
        this.config = config;
    }

    /** Checks with the parent from the {@value CgroupConfig#PARENT_PROPERTY} system property. */
    public CgroupDoctorCheck() {
        this(CgroupConfig.fromSystemProperties());
    }

    @Override
    public CheckResult run() {
        CgroupLayout layout;
        try {
            layout = CgroupDiscovery.discover(config);
        } catch (CgroupException e) {
            return CheckResult.warn("cgroups", e.getMessage(), "run on a Linux host with /proc mounted");
        }
        CgroupManager manager = CgroupManager.detect(config);
        CheckResult limits = manager.check(ALL_CONTROLLERS);
        String detail = describe(layout) + "; " + limits.detail() + "; " + dynamicMoves(config, layout);
        return switch (limits.status()) {
            case OK -> CheckResult.ok("cgroups", detail);
            // Sandboxes without limits still run, so for the doctor a failing limit check is a warning.
            case WARN, FAIL -> CheckResult.warn("cgroups", detail + " (memory/cpu/pids limits unavailable)",
                    limits.fix());
        };
    }

    /**
     * Whether a move into a cgroup waits for an RCU grace period after idle (about 8 ms here): the cost sandboxes hide
     * by parking a process in each cgroup ahead on v1 (v2 clones straight into the cgroup), and one the host can
     * remove.
     */
    static String dynamicMoves(CgroupConfig config, CgroupLayout layout) {
        Optional<Path> favoring = CgroupDiscovery.favoringDynamicMoves(config);
        if (favoring.isPresent()) {
            return "cgroup moves are fast: favordynmods on " + favoring.get();
        }
        return "no cgroup mount has favordynmods, so a cgroup move after idle waits for an RCU grace period"
                + (layout.v1().isEmpty() ? "" : " (sandboxes park a process in each v1 cgroup ahead to hide it)")
                + "; mounting cgroup2 with -o favordynmods (Linux 6.0+) removes the wait";
    }

    static String describe(CgroupLayout layout) {
        List<String> parts = new ArrayList<>();
        parts.add("cgroup " + layout.describe());
        layout.unified().ifPresent(h -> parts.add("cgroup2 at " + h.mountPoint()
                + h.ownDir().map(d -> ", own cgroup " + d).orElse("")));
        if (!layout.v1().isEmpty()) {
            Map<Path, String> byMount = new TreeMap<>();
            layout.v1().values().forEach(h -> byMount.put(h.mountPoint(), String.join(",", h.controllers())));
            parts.add("v1 hierarchies " + byMount.values());
        }
        return String.join(", ", parts);
    }
}
