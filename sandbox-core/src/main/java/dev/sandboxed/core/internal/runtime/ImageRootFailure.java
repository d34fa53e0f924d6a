package dev.sandboxed.core.internal.runtime;

import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ImageRootMode;

/** sandbox-init failed to assemble an image root in {@link #mode()} (K_SETUP_FAILED with F_ROOT_FAILED). */
final class ImageRootFailure extends SandboxException {
    private static final long serialVersionUID = 1L;
    private final int mode;

    ImageRootFailure(String step, int errno, int mode) {
        super(step, errno);
        this.mode = mode;
    }

    ImageRootMode mode() {
        return ImageRootFailure.mode(mode);
    }

    /** A ROOT_MODE_* number as the mode it stands for. */
    static ImageRootMode mode(int wire) {
        return switch (wire) {
            case Protocol.ROOT_MODE_FUSE -> ImageRootMode.FUSE_OVERLAYFS;
            case Protocol.ROOT_MODE_COPY -> ImageRootMode.COPY;
            default -> ImageRootMode.OVERLAY;
        };
    }
}
