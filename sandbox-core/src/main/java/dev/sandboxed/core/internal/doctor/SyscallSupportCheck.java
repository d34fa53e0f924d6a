package dev.sandboxed.core.internal.doctor;

import java.util.Optional;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.KernelVersion;

/**
 * openat2 and pidfd_open (5.6) and close_range (5.9), inferred from the kernel version because probing them would
 * need native code. openat2 is essential: mount targets are resolved with RESOLVE_NO_SYMLINKS/RESOLVE_BENEATH.
 */
public final class SyscallSupportCheck implements HostCheck {
    static final String NAME = "openat2/pidfd/close_range";

    private final HostEnvironment host;

    public SyscallSupportCheck(HostEnvironment host) {
        this.host = host;
    }

    @Override
    public CheckResult run() {
        Optional<KernelVersion> kernel = KernelVersion.read(host);
        if (kernel.isEmpty()) {
            return CheckResult.fail(NAME, "kernel release unknown (cannot read "
                    + host.proc("sys/kernel/osrelease") + ")", "mount /proc (mount -t proc proc /proc)");
        }
        if (!kernel.get().atLeast(5, 6)) {
            return CheckResult.fail(NAME, "Linux " + kernel.get() + " lacks openat2(2) and pidfd_open(2) (5.6): "
                    + "safe mount target resolution needs openat2", "upgrade to Linux 5.12 or newer");
        }
        if (!kernel.get().atLeast(5, 9)) {
            return CheckResult.warn(NAME, "Linux " + kernel.get() + " has openat2 and pidfd_open but not "
                    + "close_range(2) (5.9): descriptors are closed one by one", "upgrade to Linux 5.12 or newer");
        }
        return CheckResult.ok(NAME, "openat2, pidfd_open (5.6) and close_range (5.9) available on Linux " + kernel.get());
    }
}
