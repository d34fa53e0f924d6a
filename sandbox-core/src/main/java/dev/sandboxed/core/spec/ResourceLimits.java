package dev.sandboxed.core.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Cgroup limits for one sandbox. Every field is optional; an absent field means "no limit asked for".
 * A sandbox that asks for a limit never runs without it.
 *
 * @param memoryMax     hard memory limit in bytes (memory.max / memory.limit_in_bytes)
 * @param memoryHigh    memory throttling threshold in bytes (v2 memory.high)
 * @param memorySwapMax swap limit in bytes (v2 memory.swap.max; v1 memsw is memoryMax + this)
 * @param cpus          CPU bandwidth in CPUs, for example 0.5 (cpu.max / cfs quota)
 * @param cpuWeight     relative CPU weight 1..10000 (v2 cpu.weight; v1 shares are derived)
 * @param cpusetCpus    allowed CPUs, for example "0-1" (cpuset.cpus)
 * @param cpusetMems    allowed memory nodes, for example "0" (cpuset.mems)
 * @param pidsMax       maximum number of processes and threads (pids.max)
 * @param ioWeight      relative IO weight 1..10000 (v2 io.weight)
 * @param ioMax         IO bandwidth limits, at most one per block device (v2 io.max, v1 blkio.throttle)
 */
public record ResourceLimits(
        OptionalLong memoryMax,
        OptionalLong memoryHigh,
        OptionalLong memorySwapMax,
        OptionalDouble cpus,
        OptionalInt cpuWeight,
        String cpusetCpus,
        String cpusetMems,
        OptionalLong pidsMax,
        OptionalInt ioWeight,
        List<IoMax> ioMax) {

    public ResourceLimits {
        ioMax = List.copyOf(ioMax);
    }

    /**
     * The smallest pids.max that starts a command: the sandbox's init is one process and the command another
     * (measured: 1 fails with EAGAIN when the command is cloned, 2 runs {@code sh -c 'echo ok'}). Every further
     * process or thread of the command needs one more.
     */
    public static final long MIN_PIDS = 2;

    public static final ResourceLimits NONE = new ResourceLimits(OptionalLong.empty(), OptionalLong.empty(),
            OptionalLong.empty(), OptionalDouble.empty(), OptionalInt.empty(), null, null, OptionalLong.empty(),
            OptionalInt.empty(), List.of());

    /** True when no limit at all is asked for, so no cgroup is needed for limits. */
    public boolean isEmpty() {
        return this.equals(NONE);
    }

    public ResourceLimits withMemoryMax(long bytes) {
        return new ResourceLimits(OptionalLong.of(bytes), memoryHigh, memorySwapMax, cpus, cpuWeight, cpusetCpus,
                cpusetMems, pidsMax, ioWeight, ioMax);
    }

    public ResourceLimits withMemoryHigh(long bytes) {
        return new ResourceLimits(memoryMax, OptionalLong.of(bytes), memorySwapMax, cpus, cpuWeight, cpusetCpus,
                cpusetMems, pidsMax, ioWeight, ioMax);
    }

    public ResourceLimits withMemorySwapMax(long bytes) {
        return new ResourceLimits(memoryMax, memoryHigh, OptionalLong.of(bytes), cpus, cpuWeight, cpusetCpus,
                cpusetMems, pidsMax, ioWeight, ioMax);
    }

    public ResourceLimits withCpus(double value) {
        return new ResourceLimits(memoryMax, memoryHigh, memorySwapMax, OptionalDouble.of(value), cpuWeight,
                cpusetCpus, cpusetMems, pidsMax, ioWeight, ioMax);
    }

    public ResourceLimits withCpuWeight(int weight) {
        return new ResourceLimits(memoryMax, memoryHigh, memorySwapMax, cpus, OptionalInt.of(weight), cpusetCpus,
                cpusetMems, pidsMax, ioWeight, ioMax);
    }

    public ResourceLimits withCpuset(String cpusList, String memsList) {
        return new ResourceLimits(memoryMax, memoryHigh, memorySwapMax, cpus, cpuWeight, cpusList, memsList,
                pidsMax, ioWeight, ioMax);
    }

    public ResourceLimits withPidsMax(long max) {
        return new ResourceLimits(memoryMax, memoryHigh, memorySwapMax, cpus, cpuWeight, cpusetCpus, cpusetMems,
                OptionalLong.of(max), ioWeight, ioMax);
    }

    public ResourceLimits withIoWeight(int weight) {
        return new ResourceLimits(memoryMax, memoryHigh, memorySwapMax, cpus, cpuWeight, cpusetCpus, cpusetMems,
                pidsMax, OptionalInt.of(weight), ioMax);
    }

    /** Adds the IO limits of one device, replacing earlier ones for the same device. */
    public ResourceLimits withIoMax(IoMax limit) {
        List<IoMax> devices = new ArrayList<>();
        for (IoMax m : ioMax) {
            if (!m.device().equals(limit.device())) {
                devices.add(m);
            }
        }
        devices.add(limit);
        return new ResourceLimits(memoryMax, memoryHigh, memorySwapMax, cpus, cpuWeight, cpusetCpus, cpusetMems,
                pidsMax, ioWeight, devices);
    }
}
