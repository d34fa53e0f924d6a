package dev.sandboxed.core.internal.doctor;

import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.UserIdentity;

/**
 * Whether image layers keep their files' owners. As real root they do; as anyone else every file belongs to the
 * caller, which is root inside the sandbox, so an image that checks its files' owners (postgres refuses a data
 * directory it does not own) can fail. Extraction inside a user namespace with the subordinate range comes later.
 */
public final class ImageOwnershipCheck implements HostCheck {
    static final String NAME = "image file ownership";
    private final Supplier<UserIdentity> identity;

    public ImageOwnershipCheck(Supplier<UserIdentity> identity) {
        this.identity = identity;
    }

    @Override
    public CheckResult run() {
        if (identity.get().effectiveUid() == 0) {
            return CheckResult.ok(NAME, "layers are extracted as root: owners are kept (uid 999 stays 999)");
        }
        return CheckResult.warn(NAME, "layers are extracted as " + identity.get().name() + ": every image file is owned by"
                + " you, root inside the sandbox (an image's uid 999 files too); images that check their files' owners"
                + " may fail", "pull and run as root for images that need their owners; rootless owners need the"
                + " subordinate-range extraction that is not implemented yet");
    }
}
