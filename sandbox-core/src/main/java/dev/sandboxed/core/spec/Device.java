package dev.sandboxed.core.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

/**
 * A host device node made available inside the sandbox by bind-mounting it (an unprivileged user namespace cannot
 * {@code mknod}). The spec lists each device it allows with the type and major:minor it must have: the host node
 * is checked when the spec is built and again by sandbox-init when it opens it (without following a symbolic link),
 * so a node replaced meanwhile fails the start instead of binding something else. A bind keeps the host node's
 * mode and owner (changing them would change the host's node): a rootless sandbox can open only what its user may.
 *
 * @param path where the node appears inside the sandbox
 * @param hostPath the host's node, bound there
 * @param type character or block device
 * @param major the major number the host node must have
 * @param minor the minor number the host node must have
 */
public record Device(String path, Path hostPath, Type type, int major, int minor) {
    /** FUSE ({@code fuse-overlayfs}, sshfs): character device 10:229. */
    public static final String FUSE = "/dev/fuse";
    /** TUN/TAP (user-mode networking such as slirp4netns or passt inside): character device 10:200. */
    public static final String TUN = "/dev/net/tun";
    private static final Map<String, int[]> NAMED = Map.of(FUSE, new int[] {10, 229}, TUN, new int[] {10, 200});
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    /** Character ({@code c}) or block ({@code b}) device. */
    public enum Type {
        CHAR('c'), BLOCK('b');

        private final char letter;

        Type(char letter) {
            this.letter = letter;
        }

        public char letter() {
            return letter;
        }

        static Type of(String field, String text) {
            return switch (text) {
                case "c" -> CHAR;
                case "b" -> BLOCK;
                default -> throw new SpecException(field, "type '" + text + "' is not c (character) or b (block)");
            };
        }
    }

    public Device {
        path = SandboxPaths.insidePath("devices.path", path);
        if (!path.startsWith("/dev/")) {
            throw new SpecException("devices.path", "'" + path + "' is not under /dev; expected a path such as /dev/fuse");
        }
        if (hostPath == null || !hostPath.isAbsolute()) {
            throw new SpecException("devices.hostPath", "'" + hostPath + "' is not an absolute host path such as /dev/fuse");
        }
        if (type == null) {
            throw new SpecException("devices.type", "missing; allowed: CHAR (c), BLOCK (b)");
        }
        if (major < 0 || minor < 0 || major > 4095 || minor > 1048575) {
            throw new SpecException("devices.major", major + ":" + minor + " is not a device number (major 0..4095,"
                    + " minor 0..1048575)");
        }
        check(hostPath, type, major, minor);
    }

    /** The host's {@code /dev/fuse} at the same path inside, which must be character device 10:229. */
    public static Device fuse() {
        return named(FUSE);
    }

    /** The host's {@code /dev/net/tun} at the same path inside, which must be character device 10:200. */
    public static Device tun() {
        return named(TUN);
    }

    /** One of the named devices ({@link #FUSE}, {@link #TUN}) at the same path inside. */
    public static Device named(String path) {
        int[] numbers = NAMED.get(path);
        if (numbers == null) {
            throw new SpecException("devices", "'" + path + "' is not a named device; allowed: " + FUSE + ", " + TUN
                    + ", or HOST[:INSIDE]:TYPE:MAJOR:MINOR (e.g. /dev/null:c:1:3)");
        }
        return new Device(path, Path.of(path), Type.CHAR, numbers[0], numbers[1]);
    }

    /**
     * The CLI and annotation form: a named device ({@code /dev/fuse}, {@code /dev/net/tun}) or
     * {@code HOST[:INSIDE]:TYPE:MAJOR:MINOR} such as {@code /dev/null:/dev/mynull:c:1:3}.
     */
    public static Device parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new SpecException("devices", "empty; allowed: " + FUSE + ", " + TUN + ", or HOST[:INSIDE]:TYPE:MAJOR:MINOR");
        }
        String[] parts = text.split(":", -1);
        if (parts.length == 1) {
            return named(text);
        }
        if (parts.length != 4 && parts.length != 5) {
            throw new SpecException("devices", "'" + text + "' is not a named device (" + FUSE + ", " + TUN
                    + ") or HOST[:INSIDE]:TYPE:MAJOR:MINOR (e.g. /dev/null:c:1:3)");
        }
        int n = parts.length;
        String inside = n == 5 ? parts[1] : parts[0];
        return new Device(inside, Path.of(SandboxPaths.insidePath("devices.hostPath", parts[0])),
                Type.of("devices.type", parts[n - 3]), number("devices.major", parts[n - 2]),
                number("devices.minor", parts[n - 1]));
    }

    private static int number(String field, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SpecException(field, "'" + text + "' is not a decimal device number");
        }
    }

    /** The host node, not following a link: it must be a device of {@code type} with {@code major:minor}. */
    private static void check(Path host, Type type, int major, int minor) {
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(host, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new SpecException("devices.hostPath", "'" + host + "' cannot be read: " + e.getMessage());
        }
        int format = (Integer) attrs.get("mode") & S_IFMT;
        long rdev = (Long) attrs.get("rdev");
        String claimed = type.letter() + " " + major + ":" + minor;
        if (format != S_IFCHR && format != S_IFBLK) {
            throw new SpecException("devices.hostPath", "'" + host + "' is " + describe(format) + ", not the device "
                    + claimed + "; name the device node itself");
        }
        Type actual = format == S_IFCHR ? Type.CHAR : Type.BLOCK;
        // glibc's gnu_dev_major/minor: the 64-bit dev_t split as the kernel's new_encode_dev does.
        long actualMajor = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long actualMinor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        if (actual != type || actualMajor != major || actualMinor != minor) {
            throw new SpecException("devices.hostPath", "'" + host + "' is " + actual.letter() + " " + actualMajor + ":"
                    + actualMinor + ", not the claimed " + claimed);
        }
    }

    private static String describe(int format) {
        return switch (format) {
            case S_IFLNK -> "a symbolic link";
            case S_IFREG -> "a regular file";
            case S_IFDIR -> "a directory";
            default -> "not a device node";
        };
    }

    @Override
    public String toString() {
        return hostPath + (hostPath.toString().equals(path) ? "" : ":" + path) + ":" + type.letter() + ":" + major + ":"
                + minor;
    }
}
