package dev.sandboxed.core.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A pulled image: where it came from, its manifest digest, its config digest ({@code id}), the platform chosen,
 * its configuration, and its layers as extracted in the local cache (bottom first), read-only and shared by every
 * sandbox of this user.
 */
public final class Image {
    private final String source;
    private final String digest;
    private final String id;
    private final String platform;
    private final ImageConfig config;
    private final List<Path> layers;
    private final long size;

    public Image(String source, String digest, String id, String platform, ImageConfig config, List<Path> layers,
            long size) {
        this.source = source;
        this.digest = digest;
        this.id = id;
        this.platform = platform;
        this.config = config;
        this.layers = List.copyOf(layers);
        this.size = size;
    }

    /** The source as pulled: {@code docker.io/library/busybox:latest}, {@code oci:/path:tag}. */
    public String source() {
        return source;
    }

    /** The manifest's digest ({@code sha256:...}), what {@code NAME@DIGEST} pins. */
    public String digest() {
        return digest;
    }

    /** The config blob's digest, Docker's image id. */
    public String id() {
        return id;
    }

    /** {@code os/architecture[/variant]}. */
    public String platform() {
        return platform;
    }

    public ImageConfig config() {
        return config;
    }

    /** The extracted layer directories, bottom first. */
    public List<Path> layers() {
        return layers;
    }

    /** The compressed size of the layers, as the manifest gives it. */
    public long size() {
        return size;
    }

    /**
     * A file as the sandbox would see it (for /etc/passwd and the like), read without following any link out of
     * the image; empty when there is no regular file at that path.
     */
    public Optional<byte[]> readFile(String absolutePath) {
        try {
            return new LayerFiles(layers).read(absolutePath);
        } catch (IOException e) {
            throw new UncheckedIOException("read " + absolutePath + " in image " + source + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Image other && digest.equals(other.digest) && layers.equals(other.layers)
                && source.equals(other.source);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return source + "@" + digest + " (" + platform + ", " + layers.size() + " layers)";
    }
}
