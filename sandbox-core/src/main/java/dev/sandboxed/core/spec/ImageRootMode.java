package dev.sandboxed.core.spec;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How an image's layers become a sandbox's root. By default the kernel's overlayfs inside the sandbox's user namespace
 * (Linux 5.11+); where that is unavailable {@code fuse-overlayfs} when installed, else a copy. The
 * {@value #PROPERTY} system property, or {@code SandboxSpec.Builder.imageRootMode}, forces one.
 */
public enum ImageRootMode {
    /** The kernel's overlayfs: the layers stay shared and nothing is copied. */
    OVERLAY("overlay"),
    /** fuse-overlayfs, a daemon in the sandbox's namespaces that dies with it: the same layout, served from user space. */
    FUSE_OVERLAYFS("fuse-overlayfs"),
    /**
     * A copy of the layers into the sandbox's writable layer when it starts: costs the image's size in time and space;
     * a read-only root (without CAP_SYS_ADMIN, which could make it writable again) hard-links the files instead.
     */
    COPY("copy");

    public static final String PROPERTY = "sandboxed.image.rootfs";

    private final String text;

    ImageRootMode(String text) {
        this.text = text;
    }

    /** {@code overlay}, {@code fuse-overlayfs} or {@code copy}, as the property spells it. */
    public static ImageRootMode parse(String text) {
        for (ImageRootMode mode : values()) {
            if (mode.text.equals(text.strip())) {
                return mode;
            }
        }
        throw new SpecException(PROPERTY, "'" + text + "'; allowed: "
                + Arrays.stream(values()).map(ImageRootMode::toString).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return text;
    }
}
