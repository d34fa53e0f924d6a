package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Removes sandbox cgroups left behind by a JVM that died before closing them (directories from its state file). */
public final class CgroupCleaner {
    private CgroupCleaner() {
    }

    /**
     * Kills every process in the given directories (and cgroups nested below them) and removes them. Missing
     * directories are skipped. Only directories named {@code sandboxed-*} that contain a cgroup.procs file are
     * touched, so a corrupt state file cannot make this remove anything else.
     *
     * @throws CgroupException when a directory could not be emptied or removed within 10 seconds
     */
    public static void removeStale(List<Path> directories) {
        removeStale(directories, new CgroupFiles(SystemCgroupFs.INSTANCE), Duration.ofSeconds(10));
    }

    static void removeStale(List<Path> directories, CgroupFiles files, Duration timeout) {
        List<Path> targets = new ArrayList<>();
        for (Path d : directories) {
            if (!files.fs().isDirectory(d)) {
                continue;
            }
            if (!d.getFileName().toString().startsWith(SandboxNames.PREFIX)
                    || !files.fs().exists(d.resolve("cgroup.procs"))) {
                throw new CgroupException("remove stale cgroup " + d + ": not a sandbox cgroup (expected a "
                        + SandboxNames.PREFIX + "* directory containing cgroup.procs); refusing to touch it");
            }
            targets.add(d);
        }
        if (!targets.isEmpty()) {
            new CgroupReaper(files).remove(targets, timeout);
        }
    }
}
