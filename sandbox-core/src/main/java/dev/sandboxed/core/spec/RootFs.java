package dev.sandboxed.core.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import dev.sandboxed.core.image.Image;

/**
 * The sandbox's root filesystem: the host's own, read-only (like bubblewrap's {@code --ro-bind / /},
 * with home directories, /run and /tmp hidden), or a directory such as an extracted busybox tree.
 */
public final class RootFs {
    private static final RootFs HOST = new RootFs(null, null);
    private final Path directory;
    private final Image image;

    private RootFs(Path directory, Image image) {
        this.directory = directory;
        this.image = image;
    }

    /** A pulled image's layers, stacked by overlayfs with a writable layer per sandbox (see {@code Images}). */
    public static RootFs image(Image image) {
        Objects.requireNonNull(image, "image");
        if (image.layers().isEmpty()) {
            throw new SpecException("rootfs", "image " + image.source() + " has no layers, so no root filesystem");
        }
        return new RootFs(null, image);
    }

    public boolean isImage() {
        return image != null;
    }

    /** The image; only for an image root. */
    public Image image() {
        if (image == null) {
            throw new IllegalStateException("this root is not an image");
        }
        return image;
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
        return new RootFs(dir.normalize(), null);
    }

    /** {@code host} or a directory path, as the CLI and configuration spell it. */
    public static RootFs parse(String text) {
        return "host".equals(text) ? host() : directory(Path.of(text).toAbsolutePath());
    }

    public boolean isHost() {
        return directory == null && image == null;
    }

    /** The directory; only for a directory root. */
    public Path directory() {
        if (directory == null) {
            throw new IllegalStateException("the " + (image != null ? "image" : "host") + " root has no directory");
        }
        return directory;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RootFs other && Objects.equals(directory, other.directory) && Objects.equals(image, other.image);
    }

    @Override
    public int hashCode() {
        return Objects.hash(directory, image);
    }

    @Override
    public String toString() {
        return image != null ? "image " + image.source() : directory == null ? "host" : directory.toString();
    }
}
