package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

import dev.sandboxed.core.internal.cgroup.CgroupCleaner;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.state.SandboxState;

/**
 * The stale clean-up of one state entry (see {@code StateDirectory.removeAbandoned}): what a dead JVM left, a kept
 * sandbox whose keeper is gone, or one whose keptUntil passed.
 */
public final class StaleSandboxes {
    private static final System.Logger LOG = System.getLogger(StaleSandboxes.class.getName());
    /** How long a killed init may take to be gone before poststop hooks run anyway. */
    private static final long INIT_GONE_MILLIS = 5_000;

    private StaleSandboxes() {
    }

    /** {@link #clean(String, Optional, Consumer)} logging each failed poststop hook as a warning. */
    public static void clean(String id, Optional<SandboxState> state) {
        clean(id, state, failure -> LOG.log(Level.WARNING, "sandbox " + id + ": " + failure));
    }

    /**
     * Kills the keeper and the init the state names (if they are still those processes), removes its cgroups and disk
     * layers, then runs the poststop hooks recorded when it was kept after its JVM, handing each failure to
     * {@code hookFailures}. A failed removal throws before any hook ran, so the retry runs them once.
     */
    public static void clean(String id, Optional<SandboxState> state, Consumer<String> hookFailures) {
        if (state.isEmpty()) {
            DiskLayers.removeIfPresent(id); // made before the state was written
            return; // died before recording anything: it made nothing either
        }
        SandboxState s = state.get();
        if (s.keptAfterJvm() && SandboxStarter.startTime(s.ownerPid()) == s.keeperStartTime()) {
            Native.kill((int) s.ownerPid(), Native.SIGKILL); // its time ran out: the init's socket closes with it
        }
        boolean initAlive = s.initPid() > 0 && s.initStartTime() != 0 && initRuns(s);
        if (initAlive) {
            Native.kill((int) s.initPid(), Native.SIGKILL);
        }
        CgroupCleaner.removeStale(s.cgroups().stream().map(Path::of).toList());
        DiskLayers.removeIfPresent(id);
        if (s.keptAfterJvm() && s.poststop() != null) {
            if (initAlive) {
                awaitGone(s); // OCI: poststop runs once the container is deleted
            }
            LifecycleHooks.runRecorded(s.poststop(), hookFailures);
        }
    }

    /** Whether the init the state names still runs: that process, and not yet a zombie. */
    private static boolean initRuns(SandboxState s) {
        if (SandboxStarter.startTime(s.initPid()) != s.initStartTime()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + s.initPid() + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    private static void awaitGone(SandboxState s) {
        long deadline = System.nanoTime() + INIT_GONE_MILLIS * 1_000_000;
        while (initRuns(s) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
