package dev.sandboxed.bench;

import java.io.PrintStream;
import java.util.Map;
import java.util.Set;

/** One group of cases (P1/P2 latencies, P3 throughput, P4 memory, P5 JUnit): selected by name, run on its own. */
interface BenchGroup {
    /** The name that selects the whole group in {@code --cases}. */
    String name();

    /** Names of single cases {@code --cases} may select inside this group (none when it runs only as a whole). */
    default Set<String> caseNames() {
        return Set.of();
    }

    /**
     * Runs the cases of this group {@code options} selects, printing progress and its results; returns the
     * results as a JSON tree (maps, lists, numbers, strings, records).
     */
    Map<String, Object> run(BenchOptions options, PrintStream out);
}
