package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Kills every process in a set of cgroup directories (including cgroups the workload nested below them) and
 * removes the directories. Shared by live sandboxes and stale clean-up, so the strategy is chosen from the
 * files present: cgroup.kill (v2, Linux 5.14+), else cgroup.freeze (v2) or freezer.state (v1), else plain
 * SIGKILL rounds until the cgroups are empty.
 */
final class CgroupReaper {
    /** Polling starts fast (a SIGKILLed process is usually gone within a millisecond) and backs off to 20 ms. */
    private static final long FIRST_SLEEP_US = 250;
    /** Before any kill: how long to keep retrying a plain rmdir while the last process finishes exiting. */
    private static final long EXITING_GRACE_US = 2_000;
    private static final long EXITING_FIRST_SLEEP_US = 25;
    private static final long MAX_SLEEP_US = 20_000;
    private static final long RESWEEP_NANOS = 100_000_000L;
    private final CgroupFiles files;

    CgroupReaper(CgroupFiles files) {
        this.files = files;
    }

    void killAll(List<Path> dirs, Duration timeout) {
        killAll(dirs, System.nanoTime() + timeout.toNanos(), timeout);
    }

    /** Kills everything, then rmdirs children before parents; EBUSY is retried until the timeout. */
    void remove(List<Path> dirs, Duration timeout) {
        if (removeIfEmpty(dirs) || removeOnceExited(dirs)) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        killAll(dirs, deadline, timeout);
        long sleepUs = FIRST_SLEEP_US;
        while (true) {
            IOException last = null;
            Path failed = null;
            for (Path dir : postOrder(dirs)) {
                try {
                    files.fs().rmdir(dir);
                } catch (NoSuchFileException gone) {
                    // already removed (close raced with clean-up, or a retry)
                } catch (IOException e) {
                    last = e;
                    failed = dir;
                }
            }
            if (last == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw CgroupException.of("rmdir (gave up after " + timeout.toMillis() + " ms)", failed, last);
            }
            // EBUSY: a process was still exiting or something forked in between; sweep again.
            killAll(dirs, deadline, timeout);
            sleepUs = sleep(sleepUs);
        }
    }

    /**
     * A sandbox that just ended often still has its init in the cgroup: the init's control socket closes
     * before the kernel takes it out of its cgroups (namespace teardown comes in between). Retrying the rmdir
     * for a moment is far cheaper than the kill rounds below.
     */
    private boolean removeOnceExited(List<Path> dirs) {
        long waited = 0;
        for (long us = EXITING_FIRST_SLEEP_US; waited < EXITING_GRACE_US; us *= 2) {
            LockSupport.parkNanos(us * 1000);
            waited += us;
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            if (removeIfEmpty(dirs)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The usual case: the sandbox has ended, so its cgroups are empty leaves and a plain rmdir each is all it
     * takes. Returns false (having removed what it could) when anything is still busy or has children.
     */
    private boolean removeIfEmpty(List<Path> dirs) {
        for (Path dir : dirs) {
            try {
                files.fs().rmdir(dir);
            } catch (NoSuchFileException gone) {
                // already removed
            } catch (IOException busyOrNotEmpty) {
                return false;
            }
        }
        return true;
    }

    private void killAll(List<Path> dirs, long deadline, Duration timeout) {
        long sleepUs = FIRST_SLEEP_US;
        Set<Long> signalled = new HashSet<>();
        long lastSweep = 0;
        while (true) {
            List<Path> all = postOrder(dirs);
            Set<Long> pids = new LinkedHashSet<>();
            for (Path d : all) {
                pids.addAll(files.pids(d.resolve("cgroup.procs")));
            }
            if (pids.isEmpty()) {
                return;
            }
            long now = System.nanoTime();
            if (now > deadline) {
                throw new CgroupException("kill: processes " + pids + " still in " + dirs + " after "
                        + timeout.toMillis() + " ms");
            }
            // Killed processes take a moment to exit and be reaped; only sweep again for processes we have not
            // signalled yet, or when the last sweep is a while ago. The first sweep does not freeze (a v1
            // freeze+thaw costs ~4 ms); later ones do, because new pids mean something is forking.
            if (!signalled.containsAll(pids) || now - lastSweep > RESWEEP_NANOS) {
                sweep(dirs, pids, lastSweep != 0);
                signalled.addAll(pids);
                lastSweep = System.nanoTime();
            }
            sleepUs = sleep(sleepUs);
        }
    }

    private void sweep(List<Path> dirs, Set<Long> pids, boolean freeze) {
        for (Path d : dirs) {
            Path kill = d.resolve("cgroup.kill");
            if (files.fs().exists(kill)) {
                try {
                    files.fs().write(kill, "1");
                    return; // the kernel kills the whole subtree, including processes forked meanwhile
                } catch (IOException e) {
                    break; // e.g. removed meanwhile; fall back to signals
                }
            }
        }
        List<Path> freezers = new ArrayList<>();
        for (Path d : freeze ? dirs : List.<Path>of()) {
            if (files.fs().exists(d.resolve("cgroup.freeze")) || files.fs().exists(d.resolve("freezer.state"))) {
                freezers.add(d);
            }
        }
        // Frozen processes cannot fork, so one pass catches them all; v1 delivers the SIGKILL on thaw.
        freezers.forEach(d -> setFrozen(d, true));
        try {
            for (long pid : pids) {
                files.fs().kill(pid);
            }
        } finally {
            freezers.forEach(d -> setFrozen(d, false));
        }
    }

    private void setFrozen(Path dir, boolean frozen) {
        try {
            Path v2 = dir.resolve("cgroup.freeze");
            if (files.fs().exists(v2)) {
                files.fs().write(v2, frozen ? "1" : "0");
                return;
            }
            Path v1 = dir.resolve("freezer.state");
            files.fs().write(v1, frozen ? "FROZEN" : "THAWED");
            if (frozen) {
                // v1 freezing is asynchronous: wait briefly for FROZEN so nothing forks during the kill pass.
                for (int i = 0; i < 50 && !files.readIfPresent(v1).orElse("").strip().equals("FROZEN"); i++) {
                    Thread.sleep(1);
                }
            }
        } catch (IOException e) {
            // Freezing only narrows races; killing proceeds without it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The directories and every cgroup below them, children before parents; missing ones are skipped. */
    List<Path> postOrder(List<Path> dirs) {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            collect(d, out);
        }
        return out;
    }

    private void collect(Path dir, List<Path> out) {
        if (!files.fs().isDirectory(dir)) {
            return;
        }
        try {
            for (Path child : files.fs().childDirectories(dir)) {
                collect(child, out);
            }
        } catch (IOException e) {
            // vanished while listing
        }
        out.add(dir);
    }

    private static long sleep(long us) {
        LockSupport.parkNanos(us * 1000);
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new CgroupException("interrupted while waiting for sandbox cgroup to empty");
        }
        return Math.min(us * 2, MAX_SLEEP_US);
    }
}
