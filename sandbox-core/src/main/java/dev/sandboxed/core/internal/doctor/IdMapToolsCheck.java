package dev.sandboxed.core.internal.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.IdMapTool;
import dev.sandboxed.core.internal.host.IdMapTools;
import dev.sandboxed.core.internal.host.UserIdentity;

/** {@code newuidmap}/{@code newgidmap} are needed to apply subordinate ranges as an unprivileged user. */
public final class IdMapToolsCheck implements HostCheck {
    static final String NAME = "newuidmap/newgidmap";
    static final String INSTALL_FIX = "sudo apt-get install uidmap";
    static final String PRIVILEGE_FIX = "sudo chmod u+s,go-w %s (owned by root), or grant file capabilities: "
            + "sudo setcap cap_setuid+ep <newuidmap>; sudo setcap cap_setgid+ep <newgidmap>";

    private final IdMapTools tools;
    private final Supplier<UserIdentity> identity;

    public IdMapToolsCheck(IdMapTools tools, Supplier<UserIdentity> identity) {
        this.tools = tools;
        this.identity = identity;
    }

    @Override
    public CheckResult run() {
        IdMapTool uid = tools.newuidmap();
        IdMapTool gid = tools.newgidmap();
        String found = uid.describe() + ", " + gid.describe();
        if (uid.usable() && gid.usable()) {
            return CheckResult.ok(NAME, found);
        }
        if (identity.get().isRoot()) {
            return CheckResult.ok(NAME, found + " (not needed when running as root)");
        }
        String impact = ": sandboxes still run with a single mapping, but `--user 1000:1000` inside needs them";
        if (uid.privilege() == IdMapTool.Privilege.MISSING || gid.privilege() == IdMapTool.Privilege.MISSING) {
            return CheckResult.warn(NAME, found + impact, INSTALL_FIX);
        }
        List<String> unprivileged = new ArrayList<>();
        for (IdMapTool tool : List.of(uid, gid)) {
            if (!tool.usable()) {
                unprivileged.add(tool.path().orElseThrow().toString());
            }
        }
        return CheckResult.warn(NAME, found + impact, String.format(PRIVILEGE_FIX, String.join(" ", unprivileged)));
    }
}
