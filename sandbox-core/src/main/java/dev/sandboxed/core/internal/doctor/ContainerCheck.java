package dev.sandboxed.core.internal.doctor;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.ContainerEvidence;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.UserNamespaceProbe;

/**
 * Explains a failed user namespace probe when running inside a container: the usual cause is the runtime's default
 * seccomp profile (Docker's blocks {@code unshare}/{@code clone} with namespace flags for processes without
 * CAP_SYS_ADMIN), not the host's sysctls.
 */
public final class ContainerCheck implements HostCheck {
    static final String NAME = "container";

    private final HostEnvironment host;
    private final UserNamespaceProbe probe;

    public ContainerCheck(HostEnvironment host, UserNamespaceProbe probe) {
        this.host = host;
        this.probe = probe;
    }

    @Override
    public CheckResult run() {
        ContainerEvidence evidence = ContainerEvidence.detect(host);
        if (!evidence.inContainer()) {
            return CheckResult.ok(NAME, "not running in a container");
        }
        String runtime = evidence.runtime().orElseThrow();
        String where = "inside " + runtime + " (" + String.join(", ", evidence.markers()) + ")";
        UserNamespaceProbe.Outcome outcome = probe.outcome();
        return switch (outcome.verdict()) {
            case USABLE -> CheckResult.ok(NAME, where + "; the container allows user namespaces");
            case BLOCKED -> CheckResult.fail(NAME, where + " and creating a user namespace failed: the container's "
                    + "seccomp profile or missing privileges block unshare(CLONE_NEWUSER)", fixFor(runtime));
            case NOT_PROBED -> CheckResult.warn(NAME, where + "; could not verify that it allows user namespaces ("
                    + outcome.detail() + ")", "install util-linux in the image to probe; if sandboxes fail, "
                    + fixFor(runtime));
        };
    }

    static String fixFor(String runtime) {
        return switch (runtime) {
            case "docker" -> "Docker's default seccomp profile blocks unshare: run the container with "
                    + "`docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined ...` "
                    + "or `--privileged`";
            case "podman" -> "run the container with `podman run --security-opt seccomp=unconfined ...` "
                    + "or `--privileged`";
            case "kubernetes" -> "set `securityContext.seccompProfile.type: Unconfined` (and "
                    + "`appArmorProfile.type: Unconfined` on AppArmor nodes) on the pod, or `privileged: true`";
            default -> "run the container with `--security-opt seccomp=unconfined` or `--privileged` "
                    + "(or the equivalent option of " + runtime + ")";
        };
    }
}
