package dev.sandboxed.core.internal.doctor;

import java.util.Optional;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.KernelVersion;

/** The kernel must be 5.12+: recursive read-only bind mounts are made with {@code mount_setattr(2)}. */
public final class KernelVersionCheck implements HostCheck {
    static final String NAME = "kernel version";
    private static final int MIN_MAJOR = 5;
    private static final int MIN_MINOR = 12;
    private static final String WHY = "recursive read-only bind mounts use mount_setattr(2), added in Linux 5.12";

    private final HostEnvironment host;

    public KernelVersionCheck(HostEnvironment host) {
        this.host = host;
    }

    @Override
    public CheckResult run() {
        Optional<KernelVersion> kernel = KernelVersion.read(host);
        if (kernel.isEmpty()) {
            return CheckResult.fail(NAME, "cannot read " + host.proc("sys/kernel/osrelease"),
                    "mount /proc (mount -t proc proc /proc); " + WHY);
        }
        if (!kernel.get().atLeast(MIN_MAJOR, MIN_MINOR)) {
            return CheckResult.fail(NAME, "Linux " + kernel.get() + " is older than 5.12: " + WHY,
                    "upgrade to Linux 5.12 or newer");
        }
        return CheckResult.ok(NAME, "Linux " + kernel.get() + " (>= 5.12, mount_setattr available)");
    }
}
