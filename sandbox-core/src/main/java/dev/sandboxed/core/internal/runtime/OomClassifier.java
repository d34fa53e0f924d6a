package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;

import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;

/** Tells a process the OOM killer ended from one killed otherwise: a SIGKILL while its cgroup counted a new OOM kill. */
public final class OomClassifier {
    private static final System.Logger LOG = System.getLogger(OomClassifier.class.getName());

    private final String sandboxId;
    private final SandboxCgroup cgroup;
    private long oomKillsSeen;

    public OomClassifier(String sandboxId, SandboxCgroup cgroup) {
        this.sandboxId = sandboxId;
        this.cgroup = cgroup;
    }

    /** The status, with reason OOM_KILLED when the cgroup's OOM kill count rose since the last one. */
    public synchronized ExitStatus classify(ExitStatus status) {
        if (status.signal().orElse(0) == Native.SIGKILL) {
            try {
                long kills = cgroup.usage().oomKills();
                if (kills > oomKillsSeen) {
                    oomKillsSeen = kills;
                    return status.withReason(ExitReason.OOM_KILLED);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "could not read OOM kills of sandbox " + sandboxId, e);
            }
        }
        return status;
    }
}
