package dev.sandboxed.junit;


import org.assertj.core.api.AbstractAssert;
import org.assertj.core.api.AbstractDurationAssert;
import org.assertj.core.api.AbstractLongAssert;
import org.assertj.core.api.Assertions;

import dev.sandboxed.core.result.ResourceUsage;

/**
 * AssertJ assertions on a sandbox's resource usage. A value the host cannot measure (no cgroup for the sandbox)
 * fails the assertion with an explanation rather than comparing -1.
 *
 * <pre>{@code assertThat(container.usage()).peakMemory().isLessThan(mebibytes(64));}</pre>
 */
public class UsageAssert extends AbstractAssert<UsageAssert, ResourceUsage> {

    public UsageAssert(ResourceUsage actual) {
        super(actual, UsageAssert.class);
    }

    /** The highest memory charge, in bytes. */
    public AbstractLongAssert<?> peakMemory() {
        return measured("peak memory", actual.memoryPeakBytes());
    }

    /** The memory charged now, in bytes. */
    public AbstractLongAssert<?> currentMemory() {
        return measured("current memory", actual.memoryCurrentBytes());
    }

    /** User plus system CPU time. */
    public AbstractDurationAssert<?> cpuTime() {
        isNotNull();
        if (actual.equals(ResourceUsage.NOT_AVAILABLE)) {
            notMeasured("CPU time");
        }
        return Assertions.assertThat(actual.cpuUser().plus(actual.cpuSystem())).as("CPU time (%s)", FailureReport.usage(actual));
    }

    /** Time throttled by the CPU limit. */
    public AbstractDurationAssert<?> cpuThrottled() {
        isNotNull();
        return Assertions.assertThat(actual.cpuThrottled()).as("CPU throttled time (%s)", FailureReport.usage(actual));
    }

    /** The highest number of processes and threads at once. */
    public AbstractLongAssert<?> peakProcesses() {
        return measured("peak processes", actual.pidsPeak());
    }

    /** Processes and threads now. */
    public AbstractLongAssert<?> currentProcesses() {
        return measured("current processes", actual.pidsCurrent());
    }

    public UsageAssert wasOomKilled() {
        measured("OOM kills", actual.oomKills());
        if (!actual.oomKilled()) {
            failWithMessage("%s", "Expected the OOM killer to have killed a process of the sandbox, but it did not.\nUsage: "
                    + FailureReport.usage(actual));
        }
        return this;
    }

    public UsageAssert wasNotOomKilled() {
        measured("OOM kills", actual.oomKills());
        if (actual.oomKilled()) {
            failWithMessage("%s", "Expected no OOM kill, but the OOM killer killed " + actual.oomKills()
                    + " process(es).\nUsage: " + FailureReport.usage(actual));
        }
        return this;
    }

    public UsageAssert hitPidsLimit() {
        measured("pids-limit hits", actual.pidsLimitHits());
        if (!actual.pidsLimitHit()) {
            failWithMessage("%s", "Expected a fork to have been refused by the pids limit, but none was.\nUsage: "
                    + FailureReport.usage(actual));
        }
        return this;
    }

    public UsageAssert didNotHitPidsLimit() {
        measured("pids-limit hits", actual.pidsLimitHits());
        if (actual.pidsLimitHit()) {
            failWithMessage("%s", "Expected no fork refused by the pids limit, but " + actual.pidsLimitHits()
                    + " were.\nUsage: " + FailureReport.usage(actual));
        }
        return this;
    }

    private AbstractLongAssert<?> measured(String what, long value) {
        isNotNull();
        if (value < 0) {
            notMeasured(what);
        }
        return Assertions.assertThat(value).as("%s in bytes/count (%s)", what, FailureReport.usage(actual));
    }

    private void notMeasured(String what) {
        failWithMessage("%s", "Cannot check " + what + ": this host does not measure it for the sandbox (no cgroup; "
                + "run as root or set sandboxed.cgroup.parent to a delegated cgroup).");
    }

}
