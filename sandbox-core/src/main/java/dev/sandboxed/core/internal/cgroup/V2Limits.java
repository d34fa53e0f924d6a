package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;

import dev.sandboxed.core.spec.ResourceLimits;

/** Writes {@link ResourceLimits} into a v2 sandbox cgroup. A limit whose file is missing is an error. */
final class V2Limits {
    private final CgroupFiles files;
    private final Path dir;

    V2Limits(CgroupFiles files, Path dir) {
        this.files = files;
        this.dir = dir;
    }

    void apply(ResourceLimits l) {
        // memory.high before memory.max so that a lowered max never sits below the current high for a moment.
        l.memoryHigh().ifPresent(v -> write("memory.high", Long.toString(v), "memory"));
        l.memoryMax().ifPresent(v -> write("memory.max", Long.toString(v), "memory"));
        l.memorySwapMax().ifPresent(v -> write("memory.swap.max", Long.toString(v), "memory (swap accounting)"));
        if (files.fs().exists(dir.resolve("memory.oom.group"))) {
            // An OOM kill takes the whole sandbox down instead of leaving a half-dead workload running.
            write("memory.oom.group", "1", "memory");
        }
        l.cpus().ifPresent(v -> write("cpu.max", LimitsValidator.cpuQuotaUsec(v) + " "
                + LimitsValidator.CPU_PERIOD_USEC, "cpu"));
        l.cpuWeight().ifPresent(v -> write("cpu.weight", Integer.toString(v), "cpu"));
        if (l.cpusetCpus() != null) {
            write("cpuset.cpus", l.cpusetCpus(), "cpuset");
        }
        if (l.cpusetMems() != null) {
            write("cpuset.mems", l.cpusetMems(), "cpuset");
        }
        l.pidsMax().ifPresent(v -> write("pids.max", Long.toString(v), "pids"));
        l.ioWeight().ifPresent(v -> write("io.weight", "default " + v, "io"));
        // One line per device: the kernel takes io.max writes device by device.
        l.ioMax().forEach(m -> write("io.max", m.ioMaxLine(), "io"));
    }

    private void write(String name, String value, String controller) {
        Path file = dir.resolve(name);
        if (!files.fs().exists(file)) {
            throw new CgroupException("set " + name + " " + file + ": file missing, controller " + controller
                    + " is not enabled for this cgroup (check " + dir.getParent() + "/cgroup.subtree_control)");
        }
        files.write(file, value, "set " + name);
    }
}
