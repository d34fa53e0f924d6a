package dev.sandboxed.core.internal.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.internal.egress.EgressTool;
import dev.sandboxed.core.internal.egress.EgressTools;
import dev.sandboxed.core.internal.host.CheckResult;

/** Network egress ({@code network egress}) needs pasta or slirp4netns and a usable /dev/net/tun; nothing else does. */
public final class EgressCheck implements HostCheck {
    static final String NAME = "network egress";

    private final EgressTools tools;
    private final String preference;

    /** {@code preference}: the {@code sandboxed.egress.tool} setting, or null. */
    public EgressCheck(EgressTools tools, String preference) {
        this.tools = tools;
        this.preference = preference;
    }

    @Override
    public CheckResult run() {
        List<String> found = new ArrayList<>();
        for (EgressTool tool : EgressTool.values()) {
            found.add(tools.find(tool).map(l -> tool.command() + " " + l.executable()).orElse("no " + tool.command()));
        }
        Optional<EgressTools.Located> used;
        try {
            used = tools.choose(preference);
        } catch (RuntimeException e) {
            return CheckResult.warn(NAME, String.join(", ", found) + "; " + e.getMessage(),
                    "set " + EgressTools.TOOL_PROPERTY + " to auto, pasta or slirp4netns");
        }
        String what = String.join(", ", found);
        if (used.isEmpty()) {
            return CheckResult.warn(NAME, what + ": network egress is unavailable (nothing else needs it)",
                    preference == null || preference.isBlank() ? "sudo apt-get install passt (or slirp4netns)"
                            : "install " + preference + " or unset " + EgressTools.TOOL_PROPERTY);
        }
        what += "; egress uses " + used.get().tool().command()
                + (preference == null || preference.isBlank() ? "" : " (" + EgressTools.TOOL_PROPERTY + ")");
        if (!tools.tunUsable()) {
            return CheckResult.warn(NAME, what + ", but /dev/net/tun is not readable and writable by you, so it fails",
                    "sudo chmod 0666 /dev/net/tun (udev's default mode)");
        }
        return CheckResult.ok(NAME, what);
    }
}
