package dev.sandboxed.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.SandboxRuntime;

/**
 * On a hybrid host (controllers on v1, an empty cgroup2 tree beside them) the default runtime uses v1. This
 * aims a second runtime at the cgroup2 tree ({@code sandboxed.cgroup.version=v2}), so the benchmark also shows what the v2 path costs: a cgroup
 * made per sandbox and the init cloned straight into it (clone3 with CLONE_INTO_CGROUP). The tree has no
 * controllers, so it measures the mechanism, not the controllers' own accounting.
 */
final class CgroupV2Runtime implements AutoCloseable {
    private static final String PARENT = "sandboxed-bench-v2";

    private final SandboxRuntime runtime;
    private final Path parentDir;

    private CgroupV2Runtime(SandboxRuntime runtime, Path parentDir) {
        this.runtime = runtime;
        this.parentDir = parentDir;
    }

    /** Null (with the reason added to {@code whyNot}) unless this is a hybrid host with a writable cgroup2 tree. */
    static CgroupV2Runtime onHybridHost(List<String> whyNot) {
        try {
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
            boolean v1 = mounts.stream().anyMatch(l -> l.contains(" - cgroup "));
            Optional<String> cgroup2 = mounts.stream().filter(l -> l.contains(" - cgroup2 ")).map(l -> l.split(" ")[4])
                    .findFirst();
            if (!v1) {
                whyNot.add("no cgroup v1 here: p1-track-usage already measures the v2 path");
                return null;
            }
            if (cgroup2.isEmpty() || !Files.isWritable(Path.of(cgroup2.get()))) {
                whyNot.add("no writable cgroup2 tree beside the v1 controllers");
                return null;
            }
            Path root = Path.of(cgroup2.get());
            SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(false)
                    .withCgroupV2(true).withCgroupParent(PARENT));
            if (!runtime.cgroupVersion().equals("v2")) {
                runtime.close();
                whyNot.add("the cgroup2 tree at " + root + " was not usable: " + runtime.cgroupVersion());
                return null;
            }
            return new CgroupV2Runtime(runtime, root.resolve(PARENT));
        } catch (IOException | RuntimeException e) {
            whyNot.add("cannot set up a cgroup2 runtime: " + e);
            return null;
        }
    }

    SandboxRuntime runtime() {
        return runtime;
    }

    @Override
    public void close() {
        runtime.close();
        try {
            Files.deleteIfExists(parentDir); // ours: made for this run, empty once every sandbox is closed
        } catch (IOException e) {
            System.err.println("could not remove " + parentDir + ": " + e);
        }
    }
}
