package dev.sandboxed.core.internal.rootfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.sandboxed.core.internal.host.ExecutableLocator;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.SpecException;

/**
 * Which {@link ImageRootMode} assembles image roots, and why: the spec's, else {@value ImageRootMode#PROPERTY}'s, else
 * the kernel's overlayfs, which sandbox-init lets fall back where the host refuses it in a user namespace (a security
 * module, a distribution's rule, a layer on a file system overlayfs will not take): to fuse-overlayfs where it is
 * installed and /dev/fuse can be opened, else to a copy. {@link ImageRootFallbacks} remembers such a fallback.
 *
 * @param helper   the fuse-overlayfs executable, for {@link ImageRootMode#FUSE_OVERLAYFS} or as the fallback's
 * @param fallback the mode may give way to the next where the host refuses it (not when forced)
 */
public record ImageRootChoice(ImageRootMode mode, Optional<Path> helper, String reason, boolean fallback) {
    private static volatile ImageRootChoice hostDefault;

    /**
     * The capabilities the fuse-overlayfs daemon keeps (FUSE_DAEMON_CAPS in sandbox-init's fusejail.c): a sandbox
     * process holding all of them, or SYS_PTRACE, passes the kernel's ptrace access check on the daemon.
     */
    public static final Set<Capability> FUSE_DAEMON_CAPABILITIES = Set.copyOf(EnumSet.of(Capability.CHOWN,
            Capability.DAC_OVERRIDE, Capability.DAC_READ_SEARCH, Capability.FOWNER, Capability.FSETID,
            Capability.MKNOD, Capability.SETFCAP));

    /**
     * For a sandbox: {@code asked} (the spec's) wins over the property, which wins over the host's default. A sandbox
     * whose {@code capabilities} would let it reach the fuse-overlayfs daemon gets none: see {@link #withoutFuse()}.
     */
    public static ImageRootChoice forSandbox(Optional<ImageRootMode> asked, Set<Capability> capabilities) {
        ImageRootChoice choice = forSandbox(asked);
        return reachesFuseDaemon(capabilities) ? choice.withoutFuse() : choice;
    }

    /**
     * Whether a process with {@code capabilities} passes the kernel's ptrace access check on the daemon (same uid, and
     * the daemon is dumpable): with SYS_PTRACE, or with every capability the daemon has.
     */
    static boolean reachesFuseDaemon(Set<Capability> capabilities) {
        return capabilities.contains(Capability.SYS_PTRACE) || capabilities.containsAll(FUSE_DAEMON_CAPABILITIES);
    }

    /** For a sandbox whose processes cannot reach the fuse-overlayfs daemon: as {@link #forSandbox(Optional, Set)}. */
    public static ImageRootChoice forSandbox(Optional<ImageRootMode> asked) {
        if (asked.isPresent()) {
            return forced(asked.get(), "asked for by the sandbox's spec", "imageRootMode", HostEnvironment.system());
        }
        String property = System.getProperty(ImageRootMode.PROPERTY);
        if (property != null) {
            return forHost(HostEnvironment.system(), Optional.of(property)); // may change between sandboxes (tests)
        }
        ImageRootChoice choice = hostDefault;
        if (choice == null) {
            choice = forHost(HostEnvironment.system(), Optional.empty());
            hostDefault = choice; // the fuse-overlayfs look-up reads files
        }
        return choice;
    }

    /** The choice for sandboxes without one in their spec: the property's value when given (validated), else auto. */
    public static ImageRootChoice forHost(HostEnvironment host, Optional<String> property) {
        Optional<String> configured = property.filter(p -> !p.isBlank());
        if (configured.isPresent()) {
            return forced(ImageRootMode.parse(configured.get()), "set by " + ImageRootMode.PROPERTY, ImageRootMode.PROPERTY,
                    host);
        }
        Optional<Path> fuse = new ExecutableLocator(host).find("fuse-overlayfs");
        Optional<String> noFuse = fuseUnavailable(host, fuse);
        return new ImageRootChoice(ImageRootMode.OVERLAY, noFuse.isEmpty() ? fuse : Optional.empty(),
                "the kernel's overlayfs; where it is refused, " + noFuse.map(why -> "a copy (" + why + ")")
                        .orElseGet(() -> "fuse-overlayfs (" + fuse.get() + ")"), true);
    }

    private static ImageRootChoice forced(ImageRootMode mode, String why, String field, HostEnvironment host) {
        if (mode != ImageRootMode.FUSE_OVERLAYFS) {
            return new ImageRootChoice(mode, Optional.empty(), why, false);
        }
        Optional<Path> fuse = new ExecutableLocator(host).find("fuse-overlayfs");
        fuseUnavailable(host, fuse).ifPresent(reason -> {
            throw new SpecException(field, "fuse-overlayfs cannot be used: " + reason);
        });
        return new ImageRootChoice(mode, fuse, why, false);
    }

    /**
     * The choice for a sandbox that could reach the fuse-overlayfs daemon ({@link #reachesFuseDaemon}). The daemon
     * lives in the sandbox's pid namespace: a process that passes the ptrace check could attach to it and make
     * syscalls under its seccomp filter and capabilities instead of the sandbox's (its own root only limits which files
     * that reaches). So a forced fuse-overlayfs is refused, and a fallback goes to a copy instead.
     */
    public ImageRootChoice withoutFuse() {
        if (mode == ImageRootMode.FUSE_OVERLAYFS) {
            throw new SpecException(forcedField(), "fuse-overlayfs cannot assemble the root of a sandbox granted"
                    + " SYS_PTRACE or all of " + names(FUSE_DAEMON_CAPABILITIES) + ": its processes could take over the"
                    + " fuse-overlayfs daemon and leave the sandbox's seccomp filter; choose overlay or copy, or grant"
                    + " fewer capabilities");
        }
        if (helper.isEmpty()) {
            return this;
        }
        return new ImageRootChoice(mode, Optional.empty(), reason.replaceFirst("fuse-overlayfs \\(.*\\)$", "a copy")
                + " (no fuse-overlayfs for a sandbox whose capabilities reach its daemon)", fallback);
    }

    private static String names(Set<Capability> capabilities) {
        return capabilities.stream().map(Capability::name).sorted().collect(Collectors.joining(", "));
    }

    /** What sandbox-init used after this choice's mode was refused ({@code why}): the same helper, still falling back. */
    public ImageRootChoice fellBackTo(ImageRootMode used, String why) {
        return new ImageRootChoice(used, used == ImageRootMode.COPY ? Optional.empty() : helper, why, true);
    }

    /** Where this choice was forced: the property or the spec's field, for a failure's fix. */
    public String forcedBy() {
        return reason.contains(ImageRootMode.PROPERTY) ? ImageRootMode.PROPERTY : "SandboxSpec.Builder.imageRootMode";
    }

    /** The setting that forced this choice, as a {@link SpecException} names it. */
    private String forcedField() {
        return reason.contains(ImageRootMode.PROPERTY) ? ImageRootMode.PROPERTY : "imageRootMode";
    }

    private static Optional<String> fuseUnavailable(HostEnvironment host, Optional<Path> fuse) {
        if (fuse.isEmpty()) {
            return Optional.of("fuse-overlayfs is not installed (apt-get install fuse-overlayfs)");
        }
        Path device = host.file("/dev/fuse");
        if (!Files.isReadable(device) || !Files.isWritable(device)) {
            return Optional.of(device + " is missing or not readable and writable by this user (chmod 0666 /dev/fuse,"
                    + " the mode udev gives it)");
        }
        return Optional.empty();
    }

    /** One line for doctor: the mode and why. */
    public String describe() {
        String named = mode == ImageRootMode.FUSE_OVERLAYFS ? helper.map(h -> " (" + h + ")").orElse("") : "";
        return mode + named + ": " + reason;
    }
}
