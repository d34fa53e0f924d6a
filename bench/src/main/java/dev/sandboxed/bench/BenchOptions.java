package dev.sandboxed.bench;

import java.nio.file.Path;
import java.util.Set;

/**
 * What one run measures.
 *
 * @param rounds  timed rounds of the latency group (every case once per round)
 * @param warmup  untimed rounds before them
 * @param repeats alternating batches of P3 and runs of P5, per side; rounds of P6
 * @param p6Tests the trivial tests of P6's suite
 * @param cases   the groups or single cases asked for; empty for every group with its default cases
 * @param json    where to write the results as JSON, or null
 */
record BenchOptions(int rounds, int warmup, int repeats, int p6Tests, Set<String> cases, Path json) {
    /** Whether {@code group} runs: nothing was asked for (all run), or the group, or one of its cases. */
    boolean selects(BenchGroup group) {
        return cases.isEmpty() || cases.contains(group.name())
                || group.caseNames().stream().anyMatch(cases::contains);
    }

    /** Whether the group runs as a whole (its default cases) rather than only the single cases asked for. */
    boolean wholeGroup(BenchGroup group) {
        return cases.isEmpty() || cases.contains(group.name());
    }
}
