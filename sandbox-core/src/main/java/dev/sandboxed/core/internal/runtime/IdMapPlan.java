package dev.sandboxed.core.internal.runtime;

import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.host.IdMapTools;
import dev.sandboxed.core.internal.host.IdRange;
import dev.sandboxed.core.internal.image.OwnerMark;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;

/**
 * How the sandbox's user namespace maps ids, decided once per host: a direct write as real root, a range
 * through newuidmap/newgidmap where the caller has subordinate ids, or the single mapping any user may write.
 *
 * @param setgroups     written to /proc/PID/setgroups first ("deny" for the single mapping, as the kernel requires)
 * @param uidMap        written directly to uid_map, when no command is used
 * @param gidMap        written directly to gid_map, when no command is used
 * @param uidMapCommand newuidmap and its arguments after the pid, or empty
 * @param gidMapCommand newgidmap and its arguments after the pid, or empty
 * @param highestId     the highest uid/gid that exists inside the sandbox
 */
public record IdMapPlan(Optional<String> setgroups, String uidMap, String gidMap, List<String> uidMapCommand,
        List<String> gidMapCommand, int highestId) {

    private static final long MAX_INSIDE = 65536;

    /**
     * @param sandboxUser the sandbox's default user: under AUTO a range is only set up when it is not root
     */
    public static IdMapPlan decide(IdMappingMode mode, HostFacts facts, UserSpec sandboxUser) {
        return decide(mode, facts, sandboxUser, List.of(), "");
    }

    /** The plan for a spec: its mode, user, and the owners its image's layers were given ({@link OwnerMark}). */
    public static IdMapPlan forSpec(SandboxSpec spec, HostFacts facts) {
        if (!spec.rootfs().isImage() || facts.isRoot()) {
            return decide(spec.idMapping(), facts, spec.user());
        }
        Image image = spec.rootfs().image();
        return decide(spec.idMapping(), facts, spec.user(), OwnerMark.of(image.layers()), image.source());
    }

    /**
     * @param imageOwners the marks of a rootless image's layers whose files belong to subordinate ids: such an image
     *                    needs the range those owners were given with, so AUTO takes RANGE for it (two newuidmap
     *                    runs, about 12 ms a start), and SINGLE is refused
     * @param imageName   the image, for the messages
     */
    public static IdMapPlan decide(IdMappingMode mode, HostFacts facts, UserSpec sandboxUser, List<OwnerMark> imageOwners,
            String imageName) {
        if (!facts.isRoot() && !imageOwners.isEmpty()) {
            if (mode == IdMappingMode.SINGLE) {
                throw new SpecException("idMapping", "image " + imageName + " has files owned by other users than root"
                        + " (given your subordinate ids when it was pulled); SINGLE maps only you, so they would be"
                        + " nobody's; allowed for this image: AUTO, RANGE");
            }
            for (OwnerMark mark : imageOwners) {
                if (!mark.fits(facts.subuidRange(), facts.subgidRange())) {
                    throw new SpecException("rootfs", "image " + imageName + " was given owners with subordinate uids from "
                            + mark.uidStart() + " and gids from " + mark.gidStart() + " (ids up to " + mark.highest()
                            + "), but /etc/subuid and /etc/subgid now give " + facts.subuidRange().map(Object::toString)
                                    .orElse("no uids") + " and " + facts.subgidRange().map(Object::toString)
                                    .orElse("no gids") + "; remove it (`sandboxed images rm " + imageName
                            + "`) and pull it again");
                }
            }
            mode = IdMappingMode.RANGE;
        }
        int uid = facts.uid();
        int gid = facts.gid();
        if (facts.isRoot()) {
            // Real root may write any map: the usual 0..65535 identity range of rootful containers.
            return new IdMapPlan(Optional.empty(), "0 0 " + MAX_INSIDE, "0 0 " + MAX_INSIDE, List.of(), List.of(),
                    (int) MAX_INSIDE - 1);
        }
        boolean wantRange = mode == IdMappingMode.RANGE
                || (mode == IdMappingMode.AUTO && !sandboxUser.equals(UserSpec.ROOT));
        if (wantRange && facts.newuidmapUsable() && facts.subuidRange().isPresent()
                && facts.subgidRange().isPresent()) {
            IdMapTools tools = new IdMapTools(HostEnvironment.system());
            Optional<String> newuidmap = tools.newuidmap().path().map(Object::toString);
            Optional<String> newgidmap = tools.newgidmap().path().map(Object::toString);
            if (newuidmap.isPresent() && newgidmap.isPresent()) {
                IdRange uids = facts.subuidRange().get();
                IdRange gids = facts.subgidRange().get();
                long count = Math.min(MAX_INSIDE - 1, Math.min(uids.count(), gids.count()));
                return new IdMapPlan(Optional.empty(), "", "",
                        List.of(newuidmap.get(), "0", Integer.toString(uid), "1", "1", Long.toString(uids.start()), Long.toString(count)),
                        List.of(newgidmap.get(), "0", Integer.toString(gid), "1", "1", Long.toString(gids.start()), Long.toString(count)),
                        (int) count);
            }
        }
        if (mode == IdMappingMode.RANGE && !imageOwners.isEmpty()) {
            throw new SpecException("rootfs", "image " + imageName + " has files owned by other users, which only the "
                    + "RANGE id mapping shows, and it needs newuidmap/newgidmap (package uidmap), usable by this user; "
                    + "or remove the image and pull it again to have all its files owned by root");
        }
        if (mode == IdMappingMode.RANGE) {
            throw new SpecException("idMapping", "RANGE needs newuidmap/newgidmap (package uidmap) and an /etc/subuid and "
                    + "/etc/subgid range for this user: `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`; "
                    + "allowed without them: AUTO, SINGLE");
        }
        return new IdMapPlan(Optional.of("deny"), "0 " + uid + " 1", "0 " + gid + " 1", List.of(), List.of(), 0);
    }

    /** Whether processes may set supplementary groups (the kernel forbids it under setgroups=deny). */
    public boolean canSetGroups() {
        return setgroups.isEmpty();
    }

    /** Rejects a user that does not exist inside the sandbox, before anything is created. */
    public void check(String field, UserSpec user) {
        if (user.uid() > highestId || user.gid() > highestId) {
            String why = highestId == 0
                    ? "only uid/gid 0 exists in a sandbox with the single id mapping; start it with idMapping(RANGE) or a "
                            + "non-root sandbox user (needs a subordinate id range: `sudo usermod --add-subuids 100000-165535 "
                            + "--add-subgids 100000-165535 $USER` and package uidmap; see `sandboxed doctor`)"
                    : "ids above " + highestId + " are not mapped";
            throw new SpecException(field, "user " + user + " is not mapped inside the sandbox: " + why);
        }
    }
}
