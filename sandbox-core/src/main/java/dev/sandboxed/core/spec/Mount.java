package dev.sandboxed.core.spec;

import java.nio.file.Path;

/** An extra mount in the sandbox: a host path bound in, or a fresh tmpfs. Applied in order, after the defaults. */
public sealed interface Mount permits Mount.Bind, Mount.Tmpfs {

    /** Where the mount appears inside the sandbox. */
    String target();

    /** A host file or directory visible at {@code target}; read-only unless {@code writable}. */
    record Bind(Path source, String target, boolean readOnly) implements Mount {
    }

    /** A private, empty tmpfs of at most {@code sizeBytes} (0: the kernel default, half of RAM) with {@code mode}. */
    record Tmpfs(String target, long sizeBytes, int mode) implements Mount {
    }

    static Bind bind(String source, String target, boolean readOnly) {
        return new Bind(SandboxPaths.existingHostPath("mounts.bind.source", source),
                checkTarget("mounts.bind.target", target), readOnly);
    }

    static Tmpfs tmpfs(String target, long sizeBytes, int mode) {
        if (sizeBytes < 0) {
            throw new SpecException("mounts.tmpfs.size", "size " + sizeBytes + " is negative; expected a size such as 64m");
        }
        if (mode < 0 || mode > 07777) {
            throw new SpecException("mounts.tmpfs.mode", "mode " + Integer.toOctalString(mode) + " is not an octal mode 0000..7777");
        }
        return new Tmpfs(checkTarget("mounts.tmpfs.target", target), sizeBytes, mode);
    }

    private static String checkTarget(String field, String target) {
        String t = SandboxPaths.insidePath(field, target);
        if (t.equals("/")) {
            throw new SpecException(field, "cannot mount over the root; use rootfs instead");
        }
        return t;
    }

    /**
     * Parses the CLI form {@code SRC:DST[:ro|:rw]} of a bind mount.
     */
    static Bind parseBind(String text) {
        String[] parts = text.split(":");
        if (parts.length < 2 || parts.length > 3) {
            throw new SpecException("bind", "'" + text + "' is not SRC:DST[:ro|:rw]");
        }
        boolean readOnly = true;
        if (parts.length == 3) {
            switch (parts[2]) {
                case "ro" -> readOnly = true;
                case "rw" -> readOnly = false;
                default -> throw new SpecException("bind", "option '" + parts[2] + "' in '" + text + "'; allowed: ro, rw");
            }
        }
        return bind(parts[0], parts[1], readOnly);
    }

    /** Parses the CLI form {@code DST[:size=N][,mode=0755]} of a tmpfs mount. */
    static Tmpfs parseTmpfs(String text) {
        int colon = text.indexOf(':');
        String target = colon < 0 ? text : text.substring(0, colon);
        long size = 0;
        int mode = 01777;
        if (colon >= 0) {
            for (String option : text.substring(colon + 1).split(",")) {
                if (option.startsWith("size=")) {
                    size = Sizes.parseBytes("tmpfs.size", option.substring(5));
                } else if (option.startsWith("mode=")) {
                    try {
                        mode = Integer.parseInt(option.substring(5), 8);
                    } catch (NumberFormatException e) {
                        throw new SpecException("tmpfs.mode", "'" + option.substring(5) + "' is not an octal mode such as 0755");
                    }
                } else {
                    throw new SpecException("tmpfs", "option '" + option + "' in '" + text + "'; allowed: size=N, mode=OCTAL");
                }
            }
        }
        return tmpfs(target, size, mode);
    }
}
