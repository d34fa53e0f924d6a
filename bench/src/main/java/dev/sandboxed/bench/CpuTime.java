package dev.sandboxed.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Busy CPU time of the whole machine from /proc/stat (user, nice, system, irq, softirq), in USER_HZ ticks. A
 * sandbox's work is spread over the JVM, sandbox-init, its children and kernel threads (cgroup and namespace
 * tear-down), so only the machine-wide figure counts it all; other load on the machine adds to every case alike.
 */
final class CpuTime {
    /** USER_HZ is 100 on every Linux ABI. */
    static final double MS_PER_JIFFY = 10.0;

    private CpuTime() {
    }

    static long machineBusyJiffies() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7}) {
                busy += Long.parseLong(f[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
