package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Where v2 sandbox cgroups go, worked out without touching anything.
 *
 * @param parent      the cgroup the sandbox directories are created in
 * @param leaf        when present, this JVM's own cgroup still holds processes: they must first move into this
 *                    leaf before controllers can be enabled in {@code parent} ("no internal processes" rule)
 * @param available   controllers the sandbox cgroups can get (parent's cgroup.controllers)
 * @param problem     why sandbox cgroups cannot be created here; empty when they can
 * @param fix         exact fix for {@code problem}
 */
record V2Placement(Path parent, Optional<Path> leaf, Set<String> available, Optional<String> problem, String fix) {

    boolean usable() {
        return problem.isEmpty();
    }
}
