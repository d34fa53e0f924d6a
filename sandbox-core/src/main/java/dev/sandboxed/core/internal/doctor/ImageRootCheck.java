package dev.sandboxed.core.internal.doctor;

import java.util.Optional;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.rootfs.ImageRootChoice;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe.Outcome;
import dev.sandboxed.core.internal.rootfs.ImageRootProbe.Verdict;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.SpecException;

/**
 * Which way image roots are assembled here (overlayfs, fuse-overlayfs or a copy) and why: what actually assembling a
 * root in a user namespace gave, as sandboxes do it (overlayfs, falling back where it is refused; or only the mode the
 * property forces), on a tmpfs writable layer and, when that differs, on a disk one.
 */
public final class ImageRootCheck implements HostCheck {
    static final String NAME = "image roots";

    private final HostEnvironment host;
    private final Optional<String> property;
    private final ImageRootProbe.Prober prober;

    public ImageRootCheck(HostEnvironment host, Optional<String> property, ImageRootProbe.Prober prober) {
        this.host = host;
        this.property = property;
        this.prober = prober;
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
        Outcome tmpfs = prober.probe(choice, false);
        if (tmpfs.verdict() == Verdict.NOT_PROBED) {
            return CheckResult.warn(NAME, "not probed (" + tmpfs.detail() + "); sandboxes use " + choice.describe(),
                    "fix the user namespace lines above");
        }
        Outcome disk = prober.probe(choice, true);
        if (!choice.fallback()) {
            return forced(choice, tmpfs, disk);
        }
        String detail = describe(tmpfs, choice) + (disk.equals(tmpfs) ? ""
                : "; with a disk writable layer: " + describe(disk, choice));
        if (tmpfs.verdict() == Verdict.FAILED) {
            return CheckResult.warn(NAME, detail, "image sandboxes cannot start here: see the error");
        }
        if (disk.verdict() == Verdict.FAILED) {
            return CheckResult.warn(NAME, detail, "image sandboxes with a disk writable layer cannot start here: see"
                    + " the error");
        }
        if (tmpfs.mode() == ImageRootMode.COPY) {
            return CheckResult.warn(NAME, detail, "apt-get install fuse-overlayfs (and /dev/fuse mode 0666), so"
                    + " sandboxes share the image's layers instead of copying them");
        }
        return CheckResult.ok(NAME, detail);
    }

    /** A forced mode's probes: it works, or image sandboxes fail until the property changes. */
    private static CheckResult forced(ImageRootChoice choice, Outcome tmpfs, Outcome disk) {
        String line = describeForced(tmpfs, choice) + (disk.equals(tmpfs) ? ""
                : "; with a disk writable layer: " + describeForced(disk, choice)) + "; " + choice.reason();
        String fix = "unset " + ImageRootMode.PROPERTY + " or force another mode";
        if (tmpfs.verdict() == Verdict.FAILED) {
            return CheckResult.warn(NAME, line, "image sandboxes cannot start here: " + fix);
        }
        if (disk.verdict() == Verdict.FAILED) {
            return CheckResult.warn(NAME, line, "image sandboxes with a disk writable layer cannot start here: " + fix);
        }
        return CheckResult.ok(NAME, line);
    }

    private static String describeForced(Outcome o, ImageRootChoice choice) {
        return o.verdict() == Verdict.FAILED ? o.mode() + " failed: " + o.detail() : describe(o, choice);
    }

    private static String describe(Outcome o, ImageRootChoice choice) {
        String helper = o.mode() == ImageRootMode.FUSE_OVERLAYFS ? choice.helper().map(h -> " (" + h + ")").orElse("") : "";
        return switch (o.verdict()) {
            case ASSEMBLED -> o.detail().isEmpty()
                    ? o.mode() + helper + ": assembled an image root in a user namespace, as sandboxes do"
                    : o.mode() + helper + ": " + o.detail();
            case FAILED -> "no mode works: " + o.mode() + " failed: " + o.detail();
            case NOT_PROBED -> "not probed: " + o.detail();
        };
    }
}
