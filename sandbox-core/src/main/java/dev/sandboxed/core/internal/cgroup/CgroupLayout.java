package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The host's cgroup setup as seen by this process: which version, where each hierarchy is mounted and which
 * directory is this process's own cgroup in it.
 *
 * @param mode    V2 (only cgroup2), V1 (only v1 controllers), HYBRID (v1 controllers plus a cgroup2 mount, which
 *                then has no controllers that matter), NONE (no cgroup filesystem visible)
 * @param unified the cgroup2 mount, if any
 * @param v1      v1 hierarchies by controller name (co-mounted controllers share one {@link Hierarchy})
 */
public record CgroupLayout(Mode mode, Optional<Hierarchy> unified, Map<String, Hierarchy> v1) {

    enum Mode { V2, V1, HYBRID, NONE }

    /**
     * One mounted hierarchy.
     *
     * @param mountPoint  where it is mounted
     * @param controllers v1 controllers bound to it (empty for cgroup2)
     * @param ownDir      this process's cgroup directory in it; empty when not visible (outside the mount root)
     */
    public record Hierarchy(Path mountPoint, Set<String> controllers, Optional<Path> ownDir) {
    }

    public CgroupLayout {
        v1 = Map.copyOf(new TreeMap<>(v1));
    }

    /** Human-readable version: "v2", "v1", "hybrid" or "none". */
    public String describe() {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}
