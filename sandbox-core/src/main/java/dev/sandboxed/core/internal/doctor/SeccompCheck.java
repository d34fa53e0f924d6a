package dev.sandboxed.core.internal.doctor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFiles;
import dev.sandboxed.core.internal.host.ProcStatus;

/**
 * Seccomp filtering must be available with every filter action the sandbox policy compiles to; only
 * {@code user_notif} (used for denial reports) may be missing.
 */
public final class SeccompCheck implements HostCheck {
    static final String NAME = "seccomp";
    static final List<String> REQUIRED_ACTIONS = List.of("kill_process", "trap", "errno", "log", "allow");
    static final String USER_NOTIF = "user_notif";
    static final String ACTIONS_AVAIL = "sys/kernel/seccomp/actions_avail";
    private static final String KERNEL_FIX = "use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y "
            + "(Linux 5.12 or newer)";

    private final HostEnvironment host;

    public SeccompCheck(HostEnvironment host) {
        this.host = host;
    }

    @Override
    public CheckResult run() {
        ProcStatus status = ProcStatus.read(host);
        Optional<String> mode = status.field("Seccomp");
        if (mode.isEmpty()) {
            return CheckResult.fail(NAME, "no Seccomp field in " + host.proc("self/status")
                    + ": the kernel was built without seccomp", KERNEL_FIX);
        }
        Optional<String> actionsText = HostFiles.readTrimmed(host.proc(ACTIONS_AVAIL));
        if (actionsText.isEmpty()) {
            return CheckResult.fail(NAME, "cannot read " + host.proc(ACTIONS_AVAIL)
                    + ": seccomp filter actions unknown (kernel older than 4.14 or without CONFIG_SECCOMP_FILTER)",
                    KERNEL_FIX);
        }
        Set<String> available = Arrays.stream(actionsText.get().split("\\s+")).collect(Collectors.toSet());
        List<String> missing = new ArrayList<>();
        for (String action : REQUIRED_ACTIONS) {
            if (!available.contains(action)) {
                missing.add(action);
            }
        }
        if (!missing.isEmpty()) {
            return CheckResult.fail(NAME, "seccomp actions missing: " + String.join(" ", missing)
                    + " (available: " + actionsText.get() + ")", KERNEL_FIX);
        }
        String filtered = "0".equals(mode.get()) ? ""
                : "; this process already runs under seccomp mode " + mode.get()
                        + status.field("Seccomp_filters").map(n -> " with " + n + " filter(s)").orElse("");
        if (!available.contains(USER_NOTIF)) {
            return CheckResult.warn(NAME, "seccomp action user_notif unavailable: denial reports are disabled"
                    + filtered, "upgrade to Linux 5.12 or newer (user_notif needs 5.0)");
        }
        return CheckResult.ok(NAME, "filters with actions " + String.join(" ", REQUIRED_ACTIONS) + " "
                + USER_NOTIF + filtered);
    }
}
