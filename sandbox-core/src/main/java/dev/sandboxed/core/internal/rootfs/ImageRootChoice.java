package dev.sandboxed.core.internal.rootfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import dev.sandboxed.core.internal.host.ExecutableLocator;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFiles;
import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.SpecException;

/**
 * Which {@link ImageRootMode} assembles image roots, and why: the spec's, else {@value ImageRootMode#PROPERTY}'s,
 * else the kernel's overlayfs where it mounts in user namespaces (Linux 5.11+), else fuse-overlayfs where it is
 * installed and /dev/fuse can be opened, else a copy. {@code doctor} prints the same decision.
 *
 * @param helper the fuse-overlayfs executable, for {@link ImageRootMode#FUSE_OVERLAYFS}
 */
public record ImageRootChoice(ImageRootMode mode, Optional<Path> helper, String reason) {
    private static volatile ImageRootChoice hostDefault;

    /** For a sandbox: {@code asked} (the spec's) wins over the property, which wins over the host's default. */
    public static ImageRootChoice forSandbox(Optional<ImageRootMode> asked) {
        if (asked.isPresent()) {
            return forced(asked.get(), "asked for by the sandbox's spec", "imageRootMode", HostEnvironment.system());
        }
        ImageRootChoice choice = hostDefault;
        if (choice == null) {
            choice = forHost(HostEnvironment.system(), Optional.ofNullable(System.getProperty(ImageRootMode.PROPERTY)));
            if (System.getProperty(ImageRootMode.PROPERTY) == null) {
                hostDefault = choice; // the probe reads files; a property may change between sandboxes (tests)
            }
        }
        return choice;
    }

    /** The choice for sandboxes without one in their spec: the property's value when given (validated), else the host's. */
    public static ImageRootChoice forHost(HostEnvironment host, Optional<String> property) {
        Optional<String> configured = property.filter(p -> !p.isBlank());
        if (configured.isPresent()) {
            return forced(ImageRootMode.parse(configured.get()), "set by " + ImageRootMode.PROPERTY, ImageRootMode.PROPERTY,
                    host);
        }
        Optional<String> noOverlay = overlayUnavailable(host);
        if (noOverlay.isEmpty()) {
            return new ImageRootChoice(ImageRootMode.OVERLAY, Optional.empty(),
                    "the kernel's overlayfs mounts in user namespaces");
        }
        Optional<Path> fuse = new ExecutableLocator(host).find("fuse-overlayfs");
        Optional<String> noFuse = fuseUnavailable(host, fuse);
        if (noFuse.isEmpty()) {
            return new ImageRootChoice(ImageRootMode.FUSE_OVERLAYFS, fuse, noOverlay.get());
        }
        return new ImageRootChoice(ImageRootMode.COPY, Optional.empty(), noOverlay.get() + ", and " + noFuse.get()
                + ": every sandbox copies its image");
    }

    private static ImageRootChoice forced(ImageRootMode mode, String why, String field, HostEnvironment host) {
        if (mode != ImageRootMode.FUSE_OVERLAYFS) {
            return new ImageRootChoice(mode, Optional.empty(), why);
        }
        Optional<Path> fuse = new ExecutableLocator(host).find("fuse-overlayfs");
        fuseUnavailable(host, fuse).ifPresent(reason -> {
            throw new SpecException(field, "fuse-overlayfs cannot be used: " + reason);
        });
        return new ImageRootChoice(mode, fuse, why);
    }

    /** Why the kernel's overlayfs cannot stack layers in a user namespace here, if it cannot. */
    public static Optional<String> overlayUnavailable(HostEnvironment host) {
        boolean listed = HostFiles.readLines(host.proc("filesystems")).stream().map(String::strip)
                .anyMatch(line -> line.equals("overlay") || line.endsWith("\toverlay") || line.endsWith(" overlay"));
        if (!listed) {
            return Optional.of("overlay is not in " + host.proc("filesystems"));
        }
        Optional<KernelVersion> kernel = KernelVersion.read(host);
        if (kernel.isEmpty() || !kernel.get().atLeast(5, 11)) {
            return Optional.of(kernel.map(k -> "Linux " + k).orElse("an unknown kernel")
                    + " does not mount overlayfs in user namespaces (5.11+)");
        }
        return Optional.empty();
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
        return mode + helper.map(h -> " (" + h + ")").orElse("") + ": " + reason;
    }
}
