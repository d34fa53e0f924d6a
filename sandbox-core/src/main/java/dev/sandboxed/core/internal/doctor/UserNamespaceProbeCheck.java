package dev.sandboxed.core.internal.doctor;

import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.internal.host.UserNamespaceProbe;

/**
 * Reports the outcome of actually creating a user namespace. This also runs as root: inside a container root has
 * no CAP_SYS_ADMIN on the host and the runtime's seccomp profile may still refuse {@code unshare(CLONE_NEWUSER)}.
 */
public final class UserNamespaceProbeCheck implements HostCheck {
    static final String NAME = "user namespace probe";
    static final String BLOCKED_FIX = "fix the failing user namespace lines above; inside a container, run it with "
            + "`--security-opt seccomp=unconfined` or `--privileged`";

    private final UserNamespaceProbe probe;
    private final Supplier<UserIdentity> identity;

    public UserNamespaceProbeCheck(UserNamespaceProbe probe, Supplier<UserIdentity> identity) {
        this.probe = probe;
        this.identity = identity;
    }

    @Override
    public CheckResult run() {
        UserNamespaceProbe.Outcome outcome = probe.outcome();
        boolean root = identity.get().isRoot();
        return switch (outcome.verdict()) {
            case USABLE -> CheckResult.ok(NAME, outcome.detail() + (root ? " (as root)" : ""));
            case BLOCKED -> CheckResult.fail(NAME, outcome.detail(), BLOCKED_FIX);
            case NOT_PROBED -> root
                    ? CheckResult.ok(NAME, "running as root, which can always create user namespaces on the host; "
                            + outcome.detail())
                    : CheckResult.warn(NAME, outcome.detail(), "sudo apt-get install util-linux");
        };
    }
}
