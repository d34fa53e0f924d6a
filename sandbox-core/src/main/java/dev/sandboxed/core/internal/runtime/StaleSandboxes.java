package dev.sandboxed.core.internal.runtime;

import java.nio.file.Path;
import java.util.Optional;

import dev.sandboxed.core.internal.cgroup.CgroupCleaner;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.state.SandboxState;

/**
 * The stale clean-up of one state entry (see {@code StateDirectory.removeAbandoned}): what a dead JVM left, a kept
 * sandbox whose keeper is gone, or one whose keptUntil passed.
 */
public final class StaleSandboxes {
    private StaleSandboxes() {
    }

    /** Kills the keeper and the init the state names (if they are still those processes), removes its cgroups and disk layers. */
    public static void clean(String id, Optional<SandboxState> state) {
        if (state.isEmpty()) {
            DiskLayers.removeIfPresent(id); // made before the state was written
            return; // died before recording anything: it made nothing either
        }
        SandboxState s = state.get();
        if (s.keptAfterJvm() && SandboxStarter.startTime(s.ownerPid()) == s.keeperStartTime()) {
            Native.kill((int) s.ownerPid(), Native.SIGKILL); // its time ran out: the init's socket closes with it
        }
        if (s.initPid() > 0 && s.initStartTime() != 0 && SandboxStarter.startTime(s.initPid()) == s.initStartTime()) {
            Native.kill((int) s.initPid(), Native.SIGKILL);
        }
        CgroupCleaner.removeStale(s.cgroups().stream().map(Path::of).toList());
        DiskLayers.removeIfPresent(id);
    }
}
