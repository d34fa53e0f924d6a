package dev.sandboxed.core.spec;

import java.util.OptionalLong;

/**
 * Where an image sandbox's writes to its root go: a tmpfs of its own (the default, limited to {@code size}, else to
 * the sandbox's {@code tmpSize}), or a directory on disk beside the image cache ({@link #disk()}) for writes larger
 * than memory should hold. Either disappears with the sandbox; a disk one left by a JVM that died is removed by the
 * next runtime that starts.
 */
public record WritableLayer(boolean onDisk, OptionalLong size) {
    public WritableLayer {
        if (onDisk && size.isPresent()) {
            throw new SpecException("writableLayer", "a disk layer has no size limit; give a size to a tmpfs one only");
        }
        if (size.isPresent() && size.getAsLong() < 1) {
            throw new SpecException("writableLayer.size", size.getAsLong() + " is not a size; expected at least 1 byte");
        }
    }

    /** A tmpfs as large as the sandbox's /tmp. */
    public static WritableLayer tmpfs() {
        return new WritableLayer(false, OptionalLong.empty());
    }

    /** A tmpfs of at most {@code bytes}. */
    public static WritableLayer tmpfs(long bytes) {
        return new WritableLayer(false, OptionalLong.of(bytes));
    }

    /** A directory on disk, removed with the sandbox. */
    public static WritableLayer disk() {
        return new WritableLayer(true, OptionalLong.empty());
    }

    /** {@code tmpfs}, {@code tmpfs:SIZE} (e.g. {@code tmpfs:256m}) or {@code disk}, as the CLI and annotation spell it. */
    public static WritableLayer parse(String text) {
        String t = text.strip();
        if (t.equals("disk")) {
            return disk();
        }
        if (t.equals("tmpfs")) {
            return tmpfs();
        }
        if (t.startsWith("tmpfs:")) {
            return tmpfs(Sizes.parseBytes("writableLayer", t.substring("tmpfs:".length())));
        }
        throw new SpecException("writableLayer", "'" + text + "'; allowed: tmpfs, tmpfs:SIZE (e.g. tmpfs:256m), disk");
    }

    @Override
    public String toString() {
        return onDisk ? "disk" : size.isPresent() ? "tmpfs:" + size.getAsLong() : "tmpfs";
    }
}
