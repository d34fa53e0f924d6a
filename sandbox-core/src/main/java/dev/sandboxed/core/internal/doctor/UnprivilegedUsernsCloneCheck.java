package dev.sandboxed.core.internal.doctor;

import java.util.OptionalLong;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.internal.host.UserNamespaceSysctls;

/** Debian and older Ubuntu kernels carry {@code kernel.unprivileged_userns_clone}; 0 blocks non-root users. */
public final class UnprivilegedUsernsCloneCheck implements HostCheck {
    static final String NAME = "kernel.unprivileged_userns_clone";
    static final String FIX = "sudo sysctl -w kernel.unprivileged_userns_clone=1"
            + " (persist it in /etc/sysctl.d/99-sandboxed.conf)";

    private final HostEnvironment host;
    private final Supplier<UserIdentity> identity;

    public UnprivilegedUsernsCloneCheck(HostEnvironment host, Supplier<UserIdentity> identity) {
        this.host = host;
        this.identity = identity;
    }

    @Override
    public CheckResult run() {
        OptionalLong value = UserNamespaceSysctls.read(host).unprivilegedUsernsClone();
        if (value.isEmpty()) {
            return CheckResult.ok(NAME, "not present (only Debian/Ubuntu-patched kernels have this knob)");
        }
        if (value.getAsLong() != 0) {
            return CheckResult.ok(NAME, "kernel.unprivileged_userns_clone = " + value.getAsLong());
        }
        if (identity.get().isRoot()) {
            return CheckResult.warn(NAME, "kernel.unprivileged_userns_clone = 0: root can still create user "
                    + "namespaces, unprivileged users cannot", FIX);
        }
        return CheckResult.fail(NAME, "kernel.unprivileged_userns_clone = 0: unprivileged users cannot create "
                + "user namespaces", FIX);
    }
}
