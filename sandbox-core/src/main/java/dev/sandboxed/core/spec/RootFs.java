package dev.sandboxed.core.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The sandbox's root filesystem: the host's own, read-only (like bubblewrap's {@code --ro-bind / /},
 * with home directories, /run and /tmp hidden), or a directory such as an extracted busybox tree.
 */
public final class RootFs {
    private static final RootFs HOST = new RootFs(null);
    private final Path directory;

    private RootFs(Path directory) {
        this.directory = directory;
    }

    public static RootFs host() {
        return HOST;
    }

    public static RootFs directory(Path dir) {
        Objects.requireNonNull(dir, "rootfs");
        if (!dir.isAbsolute()) {
            throw new SpecException("rootfs", "directory must be an absolute path, got '" + dir + "'");
        }
        if (!Files.isDirectory(dir)) {
            throw new SpecException("rootfs", "directory '" + dir + "' does not exist or is not a directory");
        }
        return new RootFs(dir.normalize());
    }

    /** {@code host} or a directory path, as the CLI and configuration spell it. */
    public static RootFs parse(String text) {
        return "host".equals(text) ? host() : directory(Path.of(text).toAbsolutePath());
    }

    public boolean isHost() {
        return directory == null;
    }

    /** The directory; only for a directory root. */
    public Path directory() {
        if (directory == null) {
            throw new IllegalStateException("the host root has no directory");
        }
        return directory;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RootFs other && Objects.equals(directory, other.directory);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(directory);
    }

    @Override
    public String toString() {
        return directory == null ? "host" : directory.toString();
    }
}
