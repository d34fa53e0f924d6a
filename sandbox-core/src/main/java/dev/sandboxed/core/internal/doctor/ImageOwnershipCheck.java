package dev.sandboxed.core.internal.doctor;

import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.image.OwnerPolicy;

/**
 * Whether image layers keep their files' owners, and how: as real root by chown; rootless through the subordinate
 * range (a sandbox from such an image then maps that range); without a range every file belongs to the caller, root
 * inside the sandbox, so an image that checks its files' owners (postgres refuses a data directory it does not own)
 * can fail.
 */
public final class ImageOwnershipCheck implements HostCheck {
    static final String NAME = "image file owners";
    private static final String DEVICES = "; device nodes in layers are skipped rootless (the sandbox's /dev has the"
            + " usual ones)";
    private final Supplier<OwnerPolicy> policy;

    public ImageOwnershipCheck(Supplier<OwnerPolicy> policy) {
        this.policy = policy;
    }

    @Override
    public CheckResult run() {
        OwnerPolicy p = policy.get();
        return switch (p.mode()) {
            case ROOT -> CheckResult.ok(NAME, "kept: " + p.reason() + " (uid 999 stays 999, device nodes too)");
            case RANGE -> CheckResult.ok(NAME, "kept rootless: " + p.reason() + "; a sandbox from an image with such"
                    + " owners maps that range (idMapping AUTO takes RANGE: two newuidmap runs, about 12 ms a start)"
                    + DEVICES);
            case FALLBACK -> CheckResult.warn(NAME, "not kept: " + p.reason() + ", so every image file is owned by"
                    + " root inside the sandbox (an image's uid 999 files too) and images that check their files'"
                    + " owners may fail" + DEVICES, p.fix() + ", then remove and pull such images again");
        };
    }
}
