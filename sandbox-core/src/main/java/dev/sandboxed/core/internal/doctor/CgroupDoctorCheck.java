package dev.sandboxed.core.internal.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        String detail = describe(layout) + "; " + limits.detail();
        return switch (limits.status()) {
            case OK -> CheckResult.ok("cgroups", detail);
            // Sandboxes without limits still run, so for the doctor a failing limit check is a warning.
            case WARN, FAIL -> CheckResult.warn("cgroups", detail + " (memory/cpu/pids limits unavailable)",
                    limits.fix());
        };
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
