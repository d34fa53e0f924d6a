package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;

import dev.sandboxed.core.spec.SpecException;

/**
 * The configured parent cgroup, checked before it is used anywhere. Every fix message tells the user to chown the
 * parent, so a parent that is the cgroup root or leaves it would ask them to hand over the whole cgroup tree:
 * such parents are refused here, and what remains always names one directory below the mount.
 */
public final class CgroupParentPath {
    /** Cgroup mounts live below /sys; a parent there is a filesystem path, not a path in the cgroup tree. */
    private static final Path SYS = Path.of("/sys");
    private static final String ALLOWED = "a cgroup below the cgroup root, e.g. sandboxed-ci or "
            + "/user.slice/user-1000.slice/user@1000.service/sandboxed.slice";

    private CgroupParentPath() {
    }

    /** The value, stripped, if it names a cgroup strictly below the root without '..'; else a one-line error. */
    public static String check(String value) {
        String v = value.strip();
        if (v.indexOf('\0') >= 0 || v.indexOf('\n') >= 0) {
            throw refused(value, "contains a control character");
        }
        if (v.contains("${")) { // a build tool passed its placeholder through: never make a cgroup of that name
            throw refused(value, "is an unexpanded build property; set -Dsandboxed.cgroup.parent=NAME or leave it"
                    + " empty");
        }
        for (String part : v.split("/")) {
            if (part.equals("..")) {
                throw refused(value, "'..' is not allowed (it would leave the delegated cgroup)");
            }
        }
        if (Path.of("/").resolve(v).normalize().getNameCount() == 0) {
            throw refused(value, "is the cgroup root");
        }
        return v;
    }

    /** Whether a checked value is a filesystem path (such as /sys/fs/cgroup/x) rather than a cgroup path. */
    static boolean isFilesystemPath(String checked) {
        return Path.of(checked).startsWith(SYS);
    }

    /** Whether {@code dir} is a cgroup strictly below {@code mount}: the only kind a fix may ask to chown. */
    static boolean isBelow(Path dir, Path mount) {
        Path d = dir.normalize();
        return d.startsWith(mount) && !d.equals(mount);
    }

    private static SpecException refused(String value, String why) {
        return new SpecException(CgroupConfig.PARENT_PROPERTY, "'" + value + "' " + why + "; give " + ALLOWED);
    }
}
