package dev.sandboxed.core.internal.rootfs;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.spec.ImageRootMode;

/**
 * A runtime's memory of refused image root modes: after sandbox-init fell back (overlayfs refused, so fuse-overlayfs
 * or a copy assembled the root), later sandboxes of the same kind start with the mode that worked instead of paying
 * the refused attempt again. The kind is what a refusal can depend on: the file system of the image's layers and the
 * writable layer's (a tmpfs, or the file system of the disk layers' directory). Only auto choices are affected.
 */
public final class ImageRootFallbacks {
    private static final System.Logger LOG = System.getLogger(ImageRootFallbacks.class.getName());

    /**
     * The file systems (device numbers) a root's assembly depends on, -1 for a tmpfs writable layer; and whether the
     * fallback may use fuse-overlayfs (it is installed and /dev/fuse usable), so a copy made for lack of it is not
     * remembered for choices that have it.
     */
    private record Kind(long layers, long writable, boolean fuse) {
    }

    private final Map<Kind, ImageRootChoice> remembered = new ConcurrentHashMap<>();

    /** The plan with the mode remembered for its kind of root, if an auto choice fell back before. */
    public MountPlan apply(MountPlan plan) {
        Optional<MountPlan.ImageRoot> root = plan.imageRoot();
        if (root.isEmpty() || !root.get().choice().fallback() || remembered.isEmpty()) {
            return plan; // nothing fell back yet: no file system is looked at
        }
        ImageRootChoice choice = kind(plan).map(remembered::get).orElse(null);
        return choice == null ? plan : plan.withImageRoot(new MountPlan.ImageRoot(choice, root.get().linkFiles(),
                root.get().tmpfsSize(), root.get().diskLayer()));
    }

    /**
     * Errors of fuse-overlayfs that say nothing about the host: it did not answer in time (a loaded machine), or memory
     * or processes ran short (the sandbox's own pids limit counts the daemon). The next start tries it again.
     */
    private static final Set<Integer> PASSING = Set.of(11, 12, 110); // EAGAIN, ENOMEM, ETIMEDOUT

    /**
     * sandbox-init assembled {@code plan}'s root with {@code used} after refusals ({@code why}, as it reported them,
     * the last with {@code lastErrno}): later roots of this kind start with it, or with fuse-overlayfs when only a
     * passing failure of fuse-overlayfs ({@link #PASSING}) made it a copy. Logs once per kind, at INFO, naming why.
     */
    public void fellBack(MountPlan plan, ImageRootMode used, String why, int lastErrno) {
        MountPlan.ImageRoot root = plan.imageRoot().orElseThrow();
        ImageRootMode start = used == ImageRootMode.COPY && root.choice().mode() != ImageRootMode.COPY
                && root.choice().helper().isPresent() && PASSING.contains(lastErrno) ? ImageRootMode.FUSE_OVERLAYFS : used;
        if (start == root.choice().mode()) {
            LOG.log(Level.INFO, "image roots: " + why + "; this root used " + used + ", and the next starts with "
                    + start + " again: its failure may pass");
            return;
        }
        ImageRootChoice next = root.choice().fellBackTo(start, why);
        Optional<Kind> kind = kind(plan);
        String where = "image layers in " + Path.of(plan.rootLayers().get(0)).getParent() + " with a "
                + (root.diskLayer() ? "disk writable layer in " + diskLayers() : "tmpfs writable layer");
        if (kind.isEmpty()) {
            LOG.log(Level.INFO, "image roots: " + why + "; this root used " + used + " (" + where + ")");
            return;
        }
        ImageRootChoice before = remembered.put(kind.get(), next);
        if (before == null || before.mode() != start) {
            LOG.log(Level.INFO, "image roots: " + why + "; using " + start + " for " + where + " from now on in this"
                    + " runtime" + (start == used ? "" : " (this root: " + used + ", as fuse-overlayfs's failure may pass)"));
        } else {
            LOG.log(Level.DEBUG, "image roots: refused again (a start that raced the first): " + why);
        }
    }

    private static Optional<Kind> kind(MountPlan plan) {
        try {
            long layers = device(Path.of(plan.rootLayers().get(0)));
            long writable = plan.imageRoot().orElseThrow().diskLayer() ? device(diskLayers()) : -1;
            return Optional.of(new Kind(layers, writable, plan.imageRoot().orElseThrow().choice().helper().isPresent()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // not remembered: the next start tries again
        }
    }

    private static long device(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:dev")).longValue();
    }

    /** Where disk writable layers are made: {@code writable/} beside the image cache (see DiskLayers). */
    private static Path diskLayers() {
        return ImageCache.defaultDirectory().resolve("writable");
    }
}
