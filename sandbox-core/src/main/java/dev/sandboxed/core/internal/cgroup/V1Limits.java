package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.Map;

import dev.sandboxed.core.spec.IoMax;
import dev.sandboxed.core.spec.ResourceLimits;

/** Writes {@link ResourceLimits} into v1 sandbox cgroups (one directory per controller). */
final class V1Limits {
    private final CgroupFiles files;
    private final Map<String, Path> dirs;

    V1Limits(CgroupFiles files, Map<String, Path> dirByController) {
        this.files = files;
        this.dirs = dirByController;
    }

    void apply(ResourceLimits l) {
        l.memoryMax().ifPresent(v -> write("memory", "memory.limit_in_bytes", Long.toString(v)));
        // memsw counts memory plus swap and must be >= limit_in_bytes, so it is written after it.
        l.memorySwapMax().ifPresent(v -> write("memory", "memory.memsw.limit_in_bytes",
                Long.toString(Math.addExact(l.memoryMax().orElseThrow(), v))));
        // v1 has no throttling threshold; the soft limit is what reclaim pushes the group back to under pressure.
        l.memoryHigh().ifPresent(v -> write("memory", "memory.soft_limit_in_bytes", Long.toString(v)));
        if (dirs.containsKey("memory") && (l.memoryMax().isPresent() || l.memorySwapMax().isPresent())) {
            write("memory", "memory.oom_control", "0"); // keep the OOM killer on: a hung sandbox is worse
        }
        if (l.cpus().isPresent()) {
            write("cpu", "cpu.cfs_period_us", Long.toString(LimitsValidator.CPU_PERIOD_USEC));
            write("cpu", "cpu.cfs_quota_us", Long.toString(LimitsValidator.cpuQuotaUsec(l.cpus().getAsDouble())));
        }
        l.cpuWeight().ifPresent(v -> write("cpu", "cpu.shares", Long.toString(sharesFromWeight(v))));
        if (l.cpusetCpus() != null) {
            write("cpuset", "cpuset.cpus", l.cpusetCpus());
        }
        if (l.cpusetMems() != null) {
            write("cpuset", "cpuset.mems", l.cpusetMems());
        }
        l.pidsMax().ifPresent(v -> write("pids", "pids.max", Long.toString(v)));
        l.ioWeight().ifPresent(v -> writeBlkioWeight(blkioWeightFromIoWeight(v)));
        for (IoMax m : l.ioMax()) {
            m.readBps().ifPresent(v -> write("blkio", "blkio.throttle.read_bps_device", m.device() + " " + v));
            m.writeBps().ifPresent(v -> write("blkio", "blkio.throttle.write_bps_device", m.device() + " " + v));
            m.readIops().ifPresent(v -> write("blkio", "blkio.throttle.read_iops_device", m.device() + " " + v));
            m.writeIops().ifPresent(v -> write("blkio", "blkio.throttle.write_iops_device", m.device() + " " + v));
        }
    }

    /** Inverse of the OCI/crun shares-to-weight mapping: weight 100 (the v2 default) gives 2597, 1 gives 2. */
    static long sharesFromWeight(int weight) {
        return 2 + ((long) (weight - 1) * 262_142) / 9_999;
    }

    /** io.weight 1..10000 onto blkio.weight 10..1000 (runc's mapping). */
    static long blkioWeightFromIoWeight(int weight) {
        return 10 + ((long) (weight - 1) * 990) / 9_999;
    }

    private void writeBlkioWeight(long v) {
        Path dir = dirs.get("blkio");
        for (String name : new String[] {"blkio.weight", "blkio.bfq.weight"}) {
            if (dir != null && files.fs().exists(dir.resolve(name))) {
                files.write(dir.resolve(name), Long.toString(v), "set " + name);
                return;
            }
        }
        throw new CgroupException("set blkio.weight " + dir + ": neither blkio.weight nor blkio.bfq.weight exists"
                + " (the IO scheduler does not support weights); remove ioWeight or use the BFQ scheduler");
    }

    private void write(String controller, String name, String value) {
        Path dir = dirs.get(controller);
        if (dir == null) {
            throw new CgroupException("set " + name + ": no " + controller + " cgroup was created");
        }
        Path file = dir.resolve(name);
        if (!files.fs().exists(file)) {
            throw new CgroupException("set " + name + " " + file + ": file missing (not supported by this kernel)");
        }
        files.write(file, value, "set " + name);
    }
}
