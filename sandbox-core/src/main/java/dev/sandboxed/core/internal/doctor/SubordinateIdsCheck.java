package dev.sandboxed.core.internal.doctor;

import java.util.List;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.IdRange;
import dev.sandboxed.core.internal.host.SubordinateIds;
import dev.sandboxed.core.internal.host.UserIdentity;

/**
 * Subordinate id ranges are optional: without them a sandbox maps only the caller's own id, but running as
 * another user inside ({@code --user 1000:1000}) needs a range that covers those ids.
 */
public final class SubordinateIdsCheck implements HostCheck {
    static final String NAME = "subuid/subgid ranges";
    static final String FIX = "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER";
    /** Enough to map every id of a typical distribution image (0-65535). */
    static final long FULL_RANGE = 65536;
    private static final String IMPACT = "sandboxes still run with a single mapping, but `--user 1000:1000` inside "
            + "needs the range";

    private final SubordinateIds ids;
    private final Supplier<UserIdentity> identity;

    public SubordinateIdsCheck(SubordinateIds ids, Supplier<UserIdentity> identity) {
        this.ids = ids;
        this.identity = identity;
    }

    @Override
    public CheckResult run() {
        UserIdentity user = identity.get();
        if (user.isRoot()) {
            return CheckResult.ok(NAME, "running as root: id maps are written directly, no ranges needed");
        }
        List<IdRange> uids = ids.uidRanges(user.name(), user.uid());
        List<IdRange> gids = ids.gidRanges(user.name(), user.uid());
        String who = user.name() + " (uid " + user.uid() + ")";
        if (uids.isEmpty() || gids.isEmpty()) {
            String missing = uids.isEmpty() && gids.isEmpty() ? "/etc/subuid and /etc/subgid"
                    : uids.isEmpty() ? "/etc/subuid" : "/etc/subgid";
            return CheckResult.warn(NAME, "no " + missing + " range for " + who + ": " + IMPACT, FIX);
        }
        String found = "subuid " + join(uids) + ", subgid " + join(gids) + " for " + who;
        if (total(uids) < FULL_RANGE || total(gids) < FULL_RANGE) {
            return CheckResult.warn(NAME, found + ": fewer than 65536 ids, so higher ids inside a sandbox stay "
                    + "unmapped", FIX);
        }
        return CheckResult.ok(NAME, found);
    }

    private static String join(List<IdRange> ranges) {
        return String.join(" ", ranges.stream().map(IdRange::toString).toList());
    }

    private static long total(List<IdRange> ranges) {
        return ranges.stream().mapToLong(IdRange::count).sum();
    }
}
