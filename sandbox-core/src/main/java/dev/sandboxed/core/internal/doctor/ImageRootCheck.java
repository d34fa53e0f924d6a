package dev.sandboxed.core.internal.doctor;

import java.util.Optional;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.rootfs.ImageRootChoice;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.SpecException;

/** Which way image roots are assembled here (overlayfs, fuse-overlayfs or a copy) and why. */
public final class ImageRootCheck implements HostCheck {
    static final String NAME = "image roots";

    private final HostEnvironment host;
    private final Optional<String> property;

    public ImageRootCheck(HostEnvironment host, Optional<String> property) {
        this.host = host;
        this.property = property;
    }

    @Override
    public CheckResult run() {
        ImageRootChoice choice;
        try {
            choice = ImageRootChoice.forHost(host, property);
        } catch (SpecException e) {
            return CheckResult.warn(NAME, e.getMessage(), "set " + ImageRootMode.PROPERTY
                    + " to overlay, fuse-overlayfs or copy, or leave it unset");
        }
        if (choice.mode() == ImageRootMode.COPY && property.filter(p -> !p.isBlank()).isEmpty()) {
            return CheckResult.warn(NAME, choice.describe(), "apt-get install fuse-overlayfs (or Linux 5.11+ for"
                    + " overlayfs), so sandboxes share the image's layers instead of copying them");
        }
        return CheckResult.ok(NAME, choice.describe());
    }
}
