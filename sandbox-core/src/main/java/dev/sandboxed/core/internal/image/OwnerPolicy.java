package dev.sandboxed.core.internal.image;

import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.IdMapTool;
import dev.sandboxed.core.internal.host.IdMapTools;
import dev.sandboxed.core.internal.host.IdRange;
import dev.sandboxed.core.internal.host.Memo;
import dev.sandboxed.core.internal.host.SubordinateIds;
import dev.sandboxed.core.internal.host.UserIdentity;

/**
 * How image files get their owners on this host. As real root the extractor chowns them itself. Rootless they are
 * applied by sandbox-init from a user namespace that maps 0 to the caller and 1..count to the caller's subordinate
 * ids, exactly as a sandbox with {@code IdMappingMode.RANGE} does, so uid 999 in the image is uid 999 inside such a
 * sandbox (host uid start+998). Without a range, or without newuidmap/newgidmap, everything stays the caller's: root
 * inside.
 *
 * @param mode          which of the three applies
 * @param uids          the subordinate uid range (RANGE only)
 * @param gids          the subordinate gid range (RANGE only)
 * @param count         the highest id that can be given: ids 1..count map to the ranges (RANGE only)
 * @param uidMapCommand newuidmap and its arguments after the pid (RANGE only)
 * @param gidMapCommand newgidmap and its arguments after the pid (RANGE only)
 * @param reason        why this mode, for the doctor and the fallback warning
 * @param fix           how to get owners (FALLBACK only; else empty)
 */
public record OwnerPolicy(Mode mode, Optional<IdRange> uids, Optional<IdRange> gids, long count,
        List<String> uidMapCommand, List<String> gidMapCommand, String reason, String fix) {

    /** Ids inside a RANGE sandbox: 0..65535, as IdMapPlan maps them. */
    public static final long MAX_INSIDE = 65535;

    public enum Mode {
        /** Real root: owners kept by the extractor's own chown. */
        ROOT,
        /** Rootless with a subordinate range: owners applied inside a user namespace. */
        RANGE,
        /** Rootless without a range: every file is the caller's, root inside. */
        FALLBACK
    }

    private static final Memo<OwnerPolicy> CURRENT = new Memo<>(() -> {
        try {
            return forHost(HostEnvironment.system());
        } catch (RuntimeException e) { // an unreadable /proc/self/status: pulls still work, as the caller's files
            return fallback("cannot tell who this process is (" + e.getMessage() + ")", "see `sandboxed doctor`");
        }
    });

    /** The policy of this JVM's host, decided once. */
    public static OwnerPolicy current() {
        return CURRENT.get();
    }

    /** Reads the identity, /etc/subuid, /etc/subgid and the id map helpers of {@code host}. */
    public static OwnerPolicy forHost(HostEnvironment host) {
        UserIdentity who = UserIdentity.read(host);
        SubordinateIds ids = SubordinateIds.of(host);
        IdMapTools tools = new IdMapTools(host);
        return decide(who, ids.uidRanges(who.name(), who.uid()).stream().findFirst(),
                ids.gidRanges(who.name(), who.uid()).stream().findFirst(), tools.newuidmap(), tools.newgidmap());
    }

    /** The decision from its inputs (the seam for tests of the fallback). */
    public static OwnerPolicy decide(UserIdentity who, Optional<IdRange> uids, Optional<IdRange> gids,
            IdMapTool newuidmap, IdMapTool newgidmap) {
        if (who.isRoot()) {
            return new OwnerPolicy(Mode.ROOT, Optional.empty(), Optional.empty(), 0, List.of(), List.of(),
                    "layers are extracted as root, which chowns every file itself", "");
        }
        String fix = "`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + who.name() + "`";
        if (uids.isEmpty() || gids.isEmpty()) {
            return fallback("no /etc/" + (uids.isEmpty() ? "subuid" : "subgid") + " range for " + who.name(), fix);
        }
        if (!newuidmap.usable() || !newgidmap.usable()) {
            IdMapTool bad = newuidmap.usable() ? newgidmap : newuidmap;
            return fallback(bad.describe(), "install package uidmap (setuid newuidmap/newgidmap)");
        }
        long count = Math.min(MAX_INSIDE, Math.min(uids.get().count(), gids.get().count()));
        String uid = Long.toString(who.uid());
        String gid = Long.toString(who.gid());
        return new OwnerPolicy(Mode.RANGE, uids, gids, count,
                List.of(newuidmap.path().orElseThrow().toString(), "0", uid, "1", "1", Long.toString(uids.get().start()),
                        Long.toString(count)),
                List.of(newgidmap.path().orElseThrow().toString(), "0", gid, "1", "1", Long.toString(gids.get().start()),
                        Long.toString(count)),
                "layers are given their owners inside a user namespace mapping ids 1-" + count + " to your subordinate"
                        + " uids " + uids.get() + " and gids " + gids.get(), "");
    }

    private static OwnerPolicy fallback(String why, String fix) {
        return new OwnerPolicy(Mode.FALLBACK, Optional.empty(), Optional.empty(), 0, List.of(), List.of(), why, fix);
    }

    /** The mark a layer given its owners under this policy carries ({@code highest} the highest id it uses). */
    public OwnerMark mark(long highest) {
        return new OwnerMark(uids.orElseThrow().start(), gids.orElseThrow().start(), highest);
    }
}
