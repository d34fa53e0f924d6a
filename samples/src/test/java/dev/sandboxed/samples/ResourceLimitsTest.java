package dev.sandboxed.samples;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;
import static dev.sandboxed.junit.SandboxAssertions.mebibytes;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/**
 * Resource budgets: a workload that must stay within 64 MiB, one that exceeds its limit and is caught by the OOM
 * killer, and a fork bomb stopped by a process limit. These need cgroups: root, or an unprivileged user with a
 * delegated cgroup in sandboxed.cgroup.parent. Elsewhere they are skipped with the reason
 * (sandboxed.unsupported=skip in junit-platform.properties).
 */
class ResourceLimitsTest {
    private static final String ALLOCATE = "import sys\nblocks = [bytearray(1 << 20) for _ in range(int(sys.argv[1]))]\n"
            + "for b in blocks:\n    b[::4096] = b'x' * len(b[::4096])\nprint('allocated', len(blocks), 'MiB')\n";

    @Test
    @Sandboxed(memory = "64m")
    void workloadStaysWithinItsMemoryBudget(Container sandbox) {
        assertThat(sandbox.exec("python3", "-c", ALLOCATE, "24")).succeeded().hasStdout("allocated 24 MiB");
        assertThat(sandbox.usage()).peakMemory().isGreaterThan(mebibytes(24)).isLessThan(mebibytes(64));
        assertThat(sandbox.usage()).wasNotOomKilled();
    }

    @Test
    @Sandboxed(memory = "32m")
    void exceedingTheLimitIsCaughtAsAnOomKill(Container sandbox) {
        ExecResult result = sandbox.exec("python3", "-c", ALLOCATE, "256");
        assertThat(result).wasOomKilled().hasExitCode(137);
        assertThat(sandbox.usage()).wasOomKilled();
        // The sandbox survives its OOM-killed process.
        assertThat(sandbox.exec("true")).succeeded();
    }

    @Test
    @Sandboxed(pids = "16")
    void forkBombIsStoppedByTheProcessLimit(Container sandbox) {
        ExecResult bomb = sandbox.execShell("for i in $(seq 1 64); do sleep 2 & done; wait");
        assertThat(bomb).failed().stderrContains("fork");
        assertThat(sandbox.usage()).hitPidsLimit().peakProcesses().isLessThanOrEqualTo(16);
    }
}
