package dev.sandboxed.core.internal.rootfs;

import static dev.sandboxed.core.internal.protocol.Protocol.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/**
 * Decides how a sandbox's root filesystem is assembled: which host paths are bound read-only, what is
 * hidden, the fresh /proc, /dev and /tmp, masked and read-only kernel paths, then the spec's own mounts.
 * All of this is policy, so it lives here and sandbox-init only executes the list.
 */
public final class MountPlan {
    /** Kernel interfaces hidden from the sandbox, as runc does (maskedPaths). */
    public static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");
    /** Kernel interfaces the sandbox may read but never write (readonlyPaths). */
    public static final List<String> READ_ONLY_PATHS = List.of(
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
    /** Host devices bound into the sandbox's /dev. */
    public static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");
    /** Top-level host entries never taken over by a host-root sandbox: each gets a fresh or hidden replacement. */
    private static final Set<String> HOST_ROOT_SKIPPED = Set.of("proc", "dev", "tmp", "run", "home", "root",
            "lost+found", "sys", "media", "mnt", "boot");

    private final Optional<String> rootBind;
    private final List<String> rootLayers;
    private final List<MountOp> ops;
    private final Optional<ImageRoot> imageRoot;

    private MountPlan(Optional<String> rootBind, List<String> rootLayers, List<MountOp> ops, Optional<ImageRoot> imageRoot) {
        this.rootBind = rootBind;
        this.rootLayers = List.copyOf(rootLayers);
        this.ops = List.copyOf(ops);
        this.imageRoot = imageRoot;
    }

    /**
     * How an image root's layers are assembled and where its writes go.
     *
     * @param linkFiles    a copy may hard-link the layers' files: the root is read-only and the sandbox lacks
     *                     CAP_SYS_ADMIN, so nothing in it can make the root writable again and change the cache
     * @param tmpfsSize    the tmpfs writable layer's limit in bytes (0 with a disk layer)
     * @param diskLayer    the writable layer is a directory on disk, made for the sandbox when it starts
     */
    public record ImageRoot(ImageRootChoice choice, boolean linkFiles, long tmpfsSize, boolean diskLayer) {
    }

    /** This plan with {@code root} assembling its image root instead. */
    public MountPlan withImageRoot(ImageRoot root) {
        return new MountPlan(rootBind, rootLayers, ops, Optional.of(root));
    }

    /** For an image root: how it is assembled; empty for other roots. */
    public Optional<ImageRoot> imageRoot() {
        return imageRoot;
    }

    /** An image root's layer directories, topmost first (overlayfs's lowerdir order); empty for other roots. */
    public List<String> rootLayers() {
        return rootLayers;
    }

    /** The host directory bound as the root, or empty for a fresh tmpfs root (the host view). */
    public Optional<String> rootBind() {
        return rootBind;
    }

    public List<MountOp> ops() {
        return ops;
    }

    /** The /etc files of a network's members: its hosts file (changed in place) and a resolv.conf without servers. */
    public record NetworkEtc(Path hosts, Path resolvConf) {
    }

    public static MountPlan forSpec(SandboxSpec spec, Optional<Path> callerHome) {
        return forSpec(spec, callerHome, Optional.empty());
    }

    /** With {@code network}: the network's hosts file and resolv.conf, bound read-only over the root's. */
    public static MountPlan forSpec(SandboxSpec spec, Optional<Path> callerHome, Optional<NetworkEtc> network) {
        List<MountOp> ops = new ArrayList<>();
        Optional<String> rootBind;
        List<String> rootLayers = new ArrayList<>();
        Optional<ImageRoot> imageRoot = Optional.empty();
        if (spec.rootfs().isHost()) {
            rootBind = Optional.empty();
            hostView(ops, spec, callerHome);
        } else if (spec.rootfs().isImage()) {
            rootBind = Optional.empty();
            List<Path> layers = spec.rootfs().image().layers();
            if (layers.size() > ROOT_OVERLAY_MAX) {
                throw new SpecException("rootfs", "image " + spec.rootfs().image().source()
                        + " has " + layers.size() + " layers; at most " + ROOT_OVERLAY_MAX + " can be stacked");
            }
            for (int i = layers.size() - 1; i >= 0; i--) {
                rootLayers.add(layers.get(i).toString());
            }
            imageView(ops, spec, network.isPresent());
            boolean linkFiles = spec.readOnlyRoot() && !spec.capabilities().contains(Capability.SYS_ADMIN);
            imageRoot = Optional.of(new ImageRoot(ImageRootChoice.forSandbox(spec.imageRootMode(), spec.capabilities()), linkFiles,
                    spec.writableLayerSize(), spec.writableLayer().onDisk()));
        } else {
            rootBind = Optional.of(spec.rootfs().directory().toString());
            ops.add(MountOp.mkdir("/proc"));
            ops.add(MountOp.mkdir("/dev"));
            ops.add(MountOp.mkdir("/tmp"));
        }
        procAndDev(ops, spec);
        for (Device d : spec.devices()) {
            ops.add(MountOp.device(d.hostPath().toString(), d.path(), d.type().letter(), d.major(), d.minor()));
        }
        ops.add(MountOp.mount("tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777,size=" + spec.tmpSize()));
        network.ifPresent(etc -> networkEtc(ops, etc));
        if (spec.network() == NetworkMode.EGRESS) {
            ops.add(MountOp.bind(EtcFiles.egressResolvConf(ImageCache.defaultDirectory()).toString(), "/etc/resolv.conf",
                    OPF_RDONLY | OPF_NOSUID | OPF_NODEV | OPF_NOEXEC | OPF_OPTIONAL));
        }
        if (spec.rootfs().isHost()) {
            checkTargetsCanBeCreated(spec.mounts());
        }
        for (Mount m : spec.mounts()) {
            ops.add(toOp(m));
        }
        if (spec.readOnlyRoot()) {
            ops.add(MountOp.rootReadOnly());
        }
        return new MountPlan(rootBind, rootLayers, ops, imageRoot);
    }

    /**
     * A network member's names: the bind must be of the file itself (in the host view /etc is the host's, read-only),
     * and the file is changed in place, never replaced. Optional: a root without /etc/hosts keeps resolving nothing.
     */
    private static void networkEtc(List<MountOp> ops, NetworkEtc etc) {
        int roFile = OPF_RDONLY | OPF_NOSUID | OPF_NODEV | OPF_NOEXEC | OPF_OPTIONAL;
        ops.add(MountOp.bind(etc.hosts().toString(), "/etc/hosts", roFile));
        ops.add(MountOp.bind(etc.resolvConf().toString(), "/etc/resolv.conf", roFile));
    }

    /**
     * An image's root: overlayfs over its layers (staged by sandbox-init from {@link #rootLayers()}), then what a
     * container runtime adds, as Docker does: the working directory if the image lacks it, /sys read-only, an empty
     * /run, and /etc/hostname, /etc/hosts and /etc/resolv.conf bound read-only from files made for the sandbox (the
     * resolver's from the host). Writes to the image's files go to the sandbox's own upper layer.
     */
    private static void imageView(List<MountOp> ops, SandboxSpec spec, boolean onNetwork) {
        ops.add(MountOp.mkdir("/proc"));
        ops.add(MountOp.mkdir("/dev"));
        ops.add(MountOp.mkdir("/tmp"));
        if (spec.has(Namespace.NET)) {
            ops.add(MountOp.mount("sysfs", "/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
        } else {
            ops.add(MountOp.bind("/sys", "/sys", OPF_RDONLY | OPF_RECURSIVE | OPF_NOSUID | OPF_NODEV | OPF_OPTIONAL));
        }
        ops.add(MountOp.mount("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755"));
        ops.add(MountOp.mkdir(spec.workdir()));
        EtcFiles etc = EtcFiles.forHostname(ImageCache.rootOfLayer(spec.rootfs().image().layers().get(0)), spec.hostname(),
                !spec.exposedHostPorts().isEmpty());
        int roFile = OPF_RDONLY | OPF_NOSUID | OPF_NODEV | OPF_NOEXEC;
        ops.add(MountOp.bind(etc.hostname().toString(), "/etc/hostname", roFile));
        if (!onNetwork) { // a network member's come later
            ops.add(MountOp.bind(etc.hosts().toString(), "/etc/hosts", roFile));
            ops.add(MountOp.bind("/etc/resolv.conf", "/etc/resolv.conf", roFile | OPF_OPTIONAL));
        }
    }

    /**
     * The host's directories read-only on an empty tmpfs root, like {@code bwrap --ro-bind / /}, but with
     * the host's doors and secrets left out: no /run (D-Bus, docker.sock, the user's runtime dir), no home
     * directories unless the spec binds them in.
     */
    private static void hostView(List<MountOp> ops, SandboxSpec spec, Optional<Path> callerHome) {
        int roFlags = OPF_RDONLY | OPF_RECURSIVE | OPF_NOSUID | OPF_NODEV;
        try {
            for (HostRootEntries.Entry entry : HostRootEntries.current()) {
                if (HOST_ROOT_SKIPPED.contains(entry.name())) {
                    continue;
                }
                String target = "/" + entry.name();
                ops.add(entry.symlinkTarget().map(link -> MountOp.symlink(link, target))
                        .orElseGet(() -> MountOp.bind(target, target, roFlags)));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the host root: " + e.getMessage(), e);
        }
        // /sys read-only: tools read it (CPU counts); what is sensitive is masked below. With its own network
        // namespace the sandbox gets a fresh sysfs (one mount, and /sys/class/net shows only its lo); without,
        // the kernel only allows a bind of the host's.
        if (spec.has(Namespace.NET)) {
            ops.add(MountOp.mount("sysfs", "/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
        } else {
            ops.add(MountOp.bind("/sys", "/sys", roFlags | OPF_OPTIONAL));
        }
        ops.add(MountOp.mount("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755"));
        if (spec.hideHome()) {
            ops.add(MountOp.mount("tmpfs", "/home", MS_NOSUID | MS_NODEV, "mode=0755"));
            ops.add(MountOp.mount("tmpfs", "/root", MS_NOSUID | MS_NODEV, "mode=0700"));
            callerHome.filter(home -> !home.startsWith("/home") && !home.startsWith("/root") && !home.toString().equals("/"))
                    .ifPresent(home -> ops.add(new MountOp(OP_MOUNT, OPF_OPTIONAL, MS_NOSUID | MS_NODEV, "tmpfs",
                            home.toString(), "tmpfs", "mode=0700")));
        } else {
            ops.add(MountOp.bind("/home", "/home", roFlags | OPF_OPTIONAL));
            ops.add(MountOp.bind("/root", "/root", roFlags | OPF_OPTIONAL));
        }
        ops.add(MountOp.mkdir("/mnt"));
        if (!spec.exposedHostPorts().isEmpty()) {
            ops.add(MountOp.bind(EtcFiles.hostHostsWithHostInternal(ImageCache.defaultDirectory()).toString(), "/etc/hosts",
                    OPF_RDONLY | OPF_NOSUID | OPF_NODEV | OPF_NOEXEC));
        }
    }

    /**
     * In the host view the top level is a fresh tmpfs, but every host directory bound onto it is read-only, so
     * below one of those a mount point can only be where the host already has that path (or below an earlier
     * mount of the spec). Checked here, so the spec fails before anything is created instead of with EROFS
     * half-way through the set-up.
     */
    private static void checkTargetsCanBeCreated(List<Mount> mounts) {
        List<String> earlier = new ArrayList<>();
        for (Mount m : mounts) {
            String target = m.target();
            String top = "/" + target.substring(1).split("/")[0];
            boolean belowHostDirectory = !HOST_ROOT_SKIPPED.contains(top.substring(1)) && Files.exists(Path.of(top))
                    && !top.equals(target);
            boolean belowEarlierMount = earlier.stream().anyMatch(d -> under(target, d));
            if (belowHostDirectory && !belowEarlierMount && !Files.exists(Path.of(target))) {
                String field = m instanceof Mount.Bind ? "mounts.bind.target" : "mounts.tmpfs.target";
                throw new SpecException(field, "'" + target + "' does not exist on the host, and "
                        + top + " is the host's, read-only in the sandbox, so no mount point can be made there; use an "
                        + "existing directory, a new top-level one such as /data, or one under /mnt, /tmp or /home");
            }
            earlier.add(target);
        }
    }

    private static boolean under(String path, String dir) {
        return path.equals(dir) || path.startsWith(dir + "/");
    }

    private static void procAndDev(List<MountOp> ops, SandboxSpec spec) {
        ops.add(MountOp.mount("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
        ops.add(MountOp.mount("tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536"));
        for (String device : DEVICES) {
            // Bound from the host: an unprivileged user namespace cannot mknod.
            ops.add(MountOp.bind("/dev/" + device, "/dev/" + device, OPF_NOSUID | OPF_NOEXEC));
        }
        ops.add(MountOp.mount("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"));
        ops.add(MountOp.symlink("pts/ptmx", "/dev/ptmx"));
        ops.add(MountOp.mount("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777,size=" + spec.shmSize()));
        if (spec.has(Namespace.IPC)) {
            ops.add(new MountOp(OP_MOUNT, OPF_CREATE_DIR | OPF_OPTIONAL, MS_NOSUID | MS_NODEV | MS_NOEXEC, "mqueue",
                    "/dev/mqueue", "mqueue", ""));
        }
        ops.add(MountOp.symlink("/proc/self/fd", "/dev/fd"));
        ops.add(MountOp.symlink("/proc/self/fd/0", "/dev/stdin"));
        ops.add(MountOp.symlink("/proc/self/fd/1", "/dev/stdout"));
        ops.add(MountOp.symlink("/proc/self/fd/2", "/dev/stderr"));
        ops.add(MountOp.symlink("/proc/kcore", "/dev/core"));
        for (String path : MASKED_PATHS) {
            ops.add(MountOp.mask(path));
        }
        for (String path : READ_ONLY_PATHS) {
            ops.add(MountOp.readOnly(path));
        }
    }

    private static MountOp toOp(Mount m) {
        if (m instanceof Mount.Bind b) {
            int flags = OPF_RECURSIVE | OPF_NOSUID | OPF_NODEV | (b.readOnly() ? OPF_RDONLY : 0);
            return MountOp.bind(b.source().toString(), b.target(), flags);
        }
        Mount.Tmpfs t = (Mount.Tmpfs) m;
        String data = "mode=" + Integer.toOctalString(t.mode()) + (t.sizeBytes() > 0 ? ",size=" + t.sizeBytes() : "");
        return MountOp.mount("tmpfs", t.target(), MS_NOSUID | MS_NODEV, data);
    }
}
