package dev.sandboxed.core.internal.host;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What was found for {@code newuidmap} or {@code newgidmap}: these setuid helpers write a user namespace's id map
 * from the caller's {@code /etc/subuid}/{@code /etc/subgid} ranges, which an unprivileged process cannot do itself.
 *
 * @param name      {@code newuidmap} or {@code newgidmap}
 * @param path      where it was found; empty when not installed
 * @param privilege how it gets the privilege to write the map
 */
public record IdMapTool(String name, Optional<Path> path, Privilege privilege) {

    /** How the helper is privileged. */
    public enum Privilege {
        /** Mode bit 04000 and owned by root: the usual packaging (Debian's {@code uidmap}). */
        SETUID_ROOT,
        /** {@code cap_setuid}/{@code cap_setgid} file capabilities instead of setuid (Fedora, Arch). */
        FILE_CAPABILITIES,
        /** Installed but neither setuid root nor capable: it will fail with "Operation not permitted". */
        UNPRIVILEGED,
        /** Not found on PATH nor in /usr/bin. */
        MISSING
    }

    public boolean usable() {
        return privilege == Privilege.SETUID_ROOT || privilege == Privilege.FILE_CAPABILITIES;
    }

    /** For example {@code newuidmap (/usr/bin/newuidmap, setuid root)}. */
    public String describe() {
        return switch (privilege) {
            case MISSING -> name + " not found";
            case SETUID_ROOT -> name + " (" + path.orElseThrow() + ", setuid root)";
            case FILE_CAPABILITIES -> name + " (" + path.orElseThrow() + ", file capabilities)";
            case UNPRIVILEGED -> name + " (" + path.orElseThrow() + ") is neither setuid root nor has file capabilities";
        };
    }
}
