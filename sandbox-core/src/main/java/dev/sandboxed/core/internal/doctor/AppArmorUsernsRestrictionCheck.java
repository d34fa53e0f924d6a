package dev.sandboxed.core.internal.doctor;

import java.util.OptionalLong;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.internal.host.UserNamespaceSysctls;

/**
 * Ubuntu 23.10+ sets {@code kernel.apparmor_restrict_unprivileged_userns=1}: unprivileged processes may only
 * create user namespaces when an AppArmor profile grants {@code userns}.
 */
public final class AppArmorUsernsRestrictionCheck implements HostCheck {
    static final String NAME = "kernel.apparmor_restrict_unprivileged_userns";
    static final String FIX = "add an AppArmor profile that allows `userns,` for the programs that create sandboxes (the java binary and the sandbox helper) "
            + "(in /etc/apparmor.d/, then `sudo apparmor_parser -r` that file), or run "
            + "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`"
            + " (persist it in /etc/sysctl.d/99-sandboxed.conf)";

    private final HostEnvironment host;
    private final Supplier<UserIdentity> identity;

    public AppArmorUsernsRestrictionCheck(HostEnvironment host, Supplier<UserIdentity> identity) {
        this.host = host;
        this.identity = identity;
    }

    @Override
    public CheckResult run() {
        OptionalLong value = UserNamespaceSysctls.read(host).apparmorRestrictUserns();
        if (value.isEmpty()) {
            return CheckResult.ok(NAME, "not present (AppArmor does not restrict user namespaces here)");
        }
        if (value.getAsLong() == 0) {
            return CheckResult.ok(NAME, "kernel.apparmor_restrict_unprivileged_userns = 0");
        }
        if (identity.get().isRoot()) {
            return CheckResult.warn(NAME, "kernel.apparmor_restrict_unprivileged_userns = " + value.getAsLong()
                    + ": root is exempt, unprivileged users cannot create user namespaces", FIX);
        }
        return CheckResult.fail(NAME, "kernel.apparmor_restrict_unprivileged_userns = " + value.getAsLong()
                + ": AppArmor blocks user namespaces for unprivileged processes without a profile", FIX);
    }
}
