package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Creates sandbox cgroups on this host. One instance per JVM and {@link CgroupConfig}; thread-safe.
 *
 * <p>{@link #create} always creates the memory, cpu accounting and pids cgroups when they are writable so that
 * {@link SandboxCgroup#usage()} works, plus whatever the limits need. When a limit cannot be enforced it fails;
 * a limit is never silently skipped. A sandbox that asks for no limits on a host without writable cgroups gets a
 * no-op {@link SandboxCgroup} (no procs files, usage not available).
 */
public interface CgroupManager {

    /** Reads the host's cgroup setup and returns the manager for it (a no-op manager when there is none). */
    static CgroupManager detect(CgroupConfig config) {
        CgroupLayout layout;
        try {
            layout = CgroupDiscovery.discover(config);
        } catch (CgroupException e) {
            return new NoCgroupManager(e.getMessage());
        }
        CgroupFiles files = new CgroupFiles(config.fs());
        if (layout.mode() == CgroupLayout.Mode.HYBRID && config.preferV2()) {
            layout = new CgroupLayout(CgroupLayout.Mode.V2, layout.unified(), Map.of());
        }
        return switch (layout.mode()) {
            case V2 -> new CgroupV2Manager(layout, config, files);
            case V1, HYBRID -> new CgroupV1Manager(layout, config, files);
            case NONE -> new NoCgroupManager("no cgroup filesystem is mounted (" + config.mountinfoFile() + ")");
        };
    }

    /** A manager that never creates cgroups: sandboxes without limits run, any limit fails. */
    static CgroupManager none() {
        return new NoCgroupManager("cgroups disabled by configuration");
    }

    /**
     * Whether {@code limits} can be enforced here (and usage measured): OK, WARN (runs, but without cgroup usage
     * stats) or FAIL with the exact fix. Has no side effects.
     *
     * @throws dev.sandboxed.core.spec.SpecException when a limit is invalid on any host
     */
    CheckResult check(ResourceLimits limits);

    /**
     * Creates the cgroup(s) for one sandbox with {@code limits} applied.
     *
     * @param sandboxId unique id; the directory is {@code sandboxed-<id>} (characters outside [A-Za-z0-9_.-]
     *                  replaced by '_')
     * @throws dev.sandboxed.core.spec.SpecException when a limit is invalid on any host
     * @throws CgroupException when a limit cannot be enforced here or a cgroup operation fails (nothing is left
     *                         behind)
     */
    default SandboxCgroup create(String sandboxId, ResourceLimits limits) {
        return create(sandboxId, limits, false);
    }

    /**
     * {@link #create(String, ResourceLimits)} for a sandbox whose processes all die with its init when
     * {@code diesWithInit} (it has its own pid namespace): killing them needs no freezer, so v1 makes none.
     */
    SandboxCgroup create(String sandboxId, ResourceLimits limits, boolean diesWithInit);

    /**
     * Every directory {@link #create} could make for {@code sandboxId} on this host, existing or not. A JVM killed
     * between creating a sandbox's cgroups and recording them leaves only the id behind; this finds them.
     */
    List<Path> directoriesFor(String sandboxId);

    /** "v2", "v1" (also for hybrid hosts, whose controllers are on v1) or "none". */
    String version();
}
