package dev.sandboxed.core.internal.doctor;

import java.util.OptionalLong;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.UserNamespaceSysctls;

/** {@code user.max_user_namespaces} must be above 0; at 0 nobody, not even root, can create a user namespace. */
public final class MaxUserNamespacesCheck implements HostCheck {
    static final String NAME = "user.max_user_namespaces";
    static final String FIX = "sudo sysctl -w user.max_user_namespaces=15000"
            + " (persist it in /etc/sysctl.d/99-sandboxed.conf)";

    private final HostEnvironment host;

    public MaxUserNamespacesCheck(HostEnvironment host) {
        this.host = host;
    }

    @Override
    public CheckResult run() {
        OptionalLong max = UserNamespaceSysctls.read(host).maxUserNamespaces();
        if (max.isEmpty()) {
            return CheckResult.fail(NAME, host.proc(UserNamespaceSysctls.MAX_USER_NAMESPACES)
                            + " missing: the kernel was built without user namespaces",
                    "use a kernel built with CONFIG_USER_NS=y");
        }
        if (max.getAsLong() <= 0) {
            return CheckResult.fail(NAME, "user.max_user_namespaces = " + max.getAsLong()
                    + ": user namespaces are disabled", FIX);
        }
        return CheckResult.ok(NAME, "user.max_user_namespaces = " + max.getAsLong());
    }
}
