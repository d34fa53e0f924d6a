package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Decides where sandbox cgroups go on v2: the configured parent, or this process's own cgroup when it is
 * delegated to this user (writable directory, cgroup.procs and cgroup.subtree_control, as systemd's
 * {@code Delegate=yes} does). Read-only.
 */
final class V2Planner {
    /** The leaf this JVM (and its siblings in the delegated cgroup) move into, to free the parent for controllers. */
    static final String LEAF = "sandboxed-jvm";
    static final String SCOPE_FIX = "systemd-run --user --scope -p Delegate=yes mvn verify";

    private final Path mount;
    private final Optional<Path> own;
    private final CgroupFiles files;
    private final Optional<String> configuredParent;

    V2Planner(CgroupLayout.Hierarchy unified, Optional<String> configuredParent, CgroupFiles files) {
        this.mount = unified.mountPoint();
        this.own = unified.ownDir();
        this.configuredParent = configuredParent;
        this.files = files;
    }

    V2Placement plan() {
        return configuredParent.isPresent() ? planConfigured(configuredParent.get()) : planOwn();
    }

    /** This JVM's cgroup once the placement is applied (the leaf when processes are moved). */
    Optional<Path> jvmCgroup(V2Placement p) {
        return p.leaf().isPresent() ? p.leaf() : own;
    }

    private V2Placement planOwn() {
        CgroupFs fs = files.fs();
        if (own.isEmpty()) {
            return unusable(mount, "this process's cgroup is not visible below " + mount
                    + " (different cgroup namespace?)", "-D" + CgroupConfig.PARENT_PROPERTY
                    + "=<a cgroup below " + mount + " delegated to uid " + fs.uid() + ">");
        }
        Path ownDir = own.get();
        Path parent;
        Optional<Path> leaf = Optional.empty();
        if (ownDir.equals(mount)) {
            parent = mount; // the root cgroup is exempt from the no-internal-processes rule
        } else if (ownDir.getFileName().toString().equals(LEAF)) {
            parent = ownDir.getParent(); // an earlier JVM in this delegated cgroup already made the leaf
        } else {
            parent = ownDir;
            leaf = Optional.of(ownDir.resolve(LEAF));
        }
        for (Path p : new Path[] {parent, parent.resolve("cgroup.procs"), parent.resolve("cgroup.subtree_control")}) {
            if (!fs.canWrite(p)) {
                return unusable(parent, "cgroup " + parent + " is not delegated to uid " + fs.uid() + " (" + p
                        + " is owned by uid " + fs.ownerUid(p) + " and not writable)", SCOPE_FIX
                        + "   (or -D" + CgroupConfig.PARENT_PROPERTY + "=<a delegated cgroup>)");
            }
        }
        return new V2Placement(parent, leaf, controllers(parent.resolve("cgroup.controllers")), Optional.empty(), "");
    }

    private V2Placement planConfigured(String value) {
        CgroupFs fs = files.fs();
        Path parent = resolve(value);
        if (parent == null) {
            return unusable(mount, "configured parent '" + value + "' is not below the cgroup2 mount " + mount,
                    "-D" + CgroupConfig.PARENT_PROPERTY + "=<path relative to " + mount + ">");
        }
        Path existing = parent;
        while (!fs.exists(existing) && !existing.equals(mount)) {
            existing = existing.getParent();
        }
        String chownFix = "sudo mkdir -p " + parent + " && sudo chown " + fs.uid() + " " + parent + " " + parent
                + "/cgroup.procs " + parent + "/cgroup.subtree_control " + parent + "/cgroup.threads";
        if (!fs.canWrite(existing)) {
            return unusable(parent, "configured parent " + parent + " is not writable by uid " + fs.uid()
                    + " (" + existing + " is owned by uid " + fs.ownerUid(existing) + ")", chownFix);
        }
        if (!existing.equals(parent)) {
            // Created on first use; children of `existing` can get what it has enabled in subtree_control.
            return new V2Placement(parent, Optional.empty(), controllers(existing.resolve("cgroup.subtree_control")),
                    Optional.empty(), "");
        }
        if (!fs.canWrite(parent.resolve("cgroup.subtree_control"))) {
            return unusable(parent, parent + "/cgroup.subtree_control is not writable by uid " + fs.uid(),
                    chownFix);
        }
        if (!parent.equals(mount) && !files.pids(parent.resolve("cgroup.procs")).isEmpty()) {
            return unusable(parent, "configured parent " + parent + " contains processes, so controllers cannot be"
                    + " enabled for its children (cgroup v2 no-internal-processes rule)",
                    "use a parent cgroup without processes, e.g. -D" + CgroupConfig.PARENT_PROPERTY + "="
                            + mount.relativize(parent).resolve("sandboxes"));
        }
        return new V2Placement(parent, Optional.empty(), controllers(parent.resolve("cgroup.controllers")),
                Optional.empty(), "");
    }

    /**
     * Filesystem paths (below the mount or /sys) must lie strictly below the mount and are taken as they are; anything else is
     * a cgroup path relative to the mount. Null when the result is not strictly below the mount.
     */
    Path resolve(String value) {
        Path p = Path.of(value);
        boolean filesystemPath = p.isAbsolute() && p.normalize().startsWith(mount)
                || CgroupParentPath.isFilesystemPath(value);
        Path abs = filesystemPath ? p : mount.resolve(strip(value));
        Path norm = abs.normalize();
        return CgroupParentPath.isBelow(norm, mount) ? norm : null;
    }

    private static String strip(String v) {
        String s = v;
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        return s;
    }

    private Set<String> controllers(Path file) {
        try {
            return Controllers.parseList(files.fs().read(file));
        } catch (IOException e) {
            return Set.of();
        }
    }

    private static V2Placement unusable(Path parent, String problem, String fix) {
        return new V2Placement(parent, Optional.empty(), Set.of(), Optional.of(problem), fix);
    }
}
