package dev.sandboxed.core.internal.doctor;

import java.util.Optional;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFiles;
import dev.sandboxed.core.internal.host.KernelVersion;

/** Overlay mounts inside a user namespace need the overlay file system and Linux 5.11+. */
public final class OverlayCheck implements HostCheck {
    static final String NAME = "overlayfs in user namespaces";
    private static final String IMPACT = "overlay mounts inside sandboxes are unavailable";

    private final HostEnvironment host;

    public OverlayCheck(HostEnvironment host) {
        this.host = host;
    }

    @Override
    public CheckResult run() {
        boolean listed = HostFiles.readLines(host.proc("filesystems")).stream()
                .map(String::strip)
                .anyMatch(line -> line.equals("overlay") || line.endsWith("\toverlay") || line.endsWith(" overlay"));
        if (!listed) {
            return CheckResult.warn(NAME, "overlay is not in " + host.proc("filesystems") + ": " + IMPACT,
                    "sudo modprobe overlay (persist it with `echo overlay | sudo tee /etc/modules-load.d/overlay.conf`)");
        }
        Optional<KernelVersion> kernel = KernelVersion.read(host);
        if (kernel.isEmpty() || !kernel.get().atLeast(5, 11)) {
            String version = kernel.map(k -> "Linux " + k).orElse("an unknown kernel");
            return CheckResult.warn(NAME, version + " does not allow overlay mounts in user namespaces (5.11+): "
                    + IMPACT, "upgrade to Linux 5.11 or newer");
        }
        return CheckResult.ok(NAME, "overlay available, Linux " + kernel.get() + " allows it in user namespaces");
    }
}
