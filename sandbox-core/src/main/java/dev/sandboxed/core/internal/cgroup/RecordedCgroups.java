package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.result.ResourceUsage;

/**
 * Usage now of a sandbox that no JVM of ours holds (kept after its JVM), read from the cgroup directories its state
 * entry records. The entry is only as trustworthy as the files of a sandbox's owner, so nothing outside a
 * {@code sandboxed-*} cgroup directory is read: each must be an absolute path without links in it, and its files are
 * opened without following links (as {@link SystemCgroupFs} reads every cgroup file).
 */
public final class RecordedCgroups {
    private RecordedCgroups() {
    }

    /** The usage, or empty when none of the directories is a sandbox cgroup that exists (removed, or no cgroups). */
    public static Optional<ResourceUsage> usage(List<String> directories) {
        return usage(directories, new CgroupFiles(SystemCgroupFs.INSTANCE));
    }

    static Optional<ResourceUsage> usage(List<String> directories, CgroupFiles files) {
        Optional<Path> memory = Optional.empty();
        Optional<Path> cpuacct = Optional.empty();
        Optional<Path> cpu = Optional.empty();
        Optional<Path> pids = Optional.empty();
        boolean any = false;
        for (String name : directories) {
            Optional<Path> found = sandboxCgroup(name);
            if (found.isEmpty()) {
                continue;
            }
            Path d = found.get();
            if (Files.exists(d.resolve("cgroup.controllers"), LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(new V2Stats(files, d).read()); // v2: one directory with every controller
            }
            any = true;
            memory = memory.or(() -> has(d, "memory.usage_in_bytes"));
            cpuacct = cpuacct.or(() -> has(d, "cpuacct.usage").or(() -> has(d, "cpuacct.stat")));
            cpu = cpu.or(() -> has(d, "cpu.cfs_quota_us"));
            pids = pids.or(() -> has(d, "pids.current"));
        }
        return any ? Optional.of(new V1Stats(files, memory, cpuacct, cpu, pids).read()) : Optional.empty();
    }

    /** {@code name} as a directory when it is a sandbox cgroup reached without links, else empty. */
    static Optional<Path> sandboxCgroup(String name) {
        Path d = Path.of(name);
        if (!d.isAbsolute() || !d.equals(d.normalize()) || d.getFileName() == null
                || !d.getFileName().toString().startsWith(SandboxNames.PREFIX)
                || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(d.resolve("cgroup.procs"), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return d.toRealPath().equals(d) ? Optional.of(d) : Optional.empty(); // no link on the way to it
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    private static Optional<Path> has(Path dir, String file) {
        return Files.exists(dir.resolve(file), LinkOption.NOFOLLOW_LINKS) ? Optional.of(dir) : Optional.empty();
    }
}
