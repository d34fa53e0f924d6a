package dev.sandboxed.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherFactory;

import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/**
 * P5: what {@code @Sandboxed} adds to a test. 200 trivial tests with a sandbox injected against the same 200 without
 * one, through the JUnit Platform launcher in this JVM as Surefire runs them, runs alternating; the overhead per test
 * is (sandboxed total - plain total) / 200 per pair of runs, and the median of the pairs is reported.
 */
final class JUnitBench implements BenchGroup {
    static final int TESTS = 200;
    static final double TARGET_MS = 1.0;

    /** 200 trivial tests. */
    public static class Plain {
        @RepeatedTest(TESTS)
        void trivial() {
        }
    }

    /** The same 200 tests, each with its own sandbox (the extension's defaults) injected. */
    @Sandboxed
    public static class WithSandbox {
        @RepeatedTest(TESTS)
        void trivial(Container sandbox) {
        }
    }

    @Override
    public String name() {
        return "p5";
    }

    @Override
    public Map<String, Object> run(BenchOptions options, PrintStream out) {
        out.printf(Locale.ROOT, "== p5: %d trivial @Sandboxed tests vs %d plain ones, JUnit Platform launcher, %d"
                + " alternating runs each%n", TESTS, TESTS, options.repeats());
        Map<String, Object> json = new LinkedHashMap<>();
        Launcher launcher = LauncherFactory.create();
        List<Double> plain = new ArrayList<>();
        List<Double> sandboxed = new ArrayList<>();
        try {
            LauncherRuns.timed(launcher, Plain.class, TESTS); // warm-up: class loading, JIT, the extension's runtime and server
            LauncherRuns.timed(launcher, WithSandbox.class, TESTS);
            out.print("  runs ");
            for (int i = 0; i < options.repeats(); i++) {
                // Alternate which goes first, so neither always follows the other's leftovers.
                if (i % 2 == 0) {
                    plain.add(LauncherRuns.timed(launcher, Plain.class, TESTS));
                    sandboxed.add(LauncherRuns.timed(launcher, WithSandbox.class, TESTS));
                } else {
                    sandboxed.add(LauncherRuns.timed(launcher, WithSandbox.class, TESTS));
                    plain.add(LauncherRuns.timed(launcher, Plain.class, TESTS));
                }
                out.print('.');
                out.flush();
            }
            out.println(" done");
        } catch (RuntimeException e) {
            out.println("  FAILED: " + e);
            json.put("skipped", "failed while measuring: " + e);
            return json;
        }
        double[] overheads = new double[plain.size()];
        for (int i = 0; i < overheads.length; i++) {
            overheads[i] = (sandboxed.get(i) - plain.get(i)) / TESTS;
        }
        double overhead = Stats.median(overheads);
        double plainMs = Stats.median(plain.stream().mapToDouble(Double::doubleValue).toArray());
        double sandboxedMs = Stats.median(sandboxed.stream().mapToDouble(Double::doubleValue).toArray());
        out.printf(Locale.ROOT, "  totals (medians): plain %.1f ms, @Sandboxed %.1f ms for %d tests%n", plainMs, sandboxedMs, TESTS);
        out.printf(Locale.ROOT, "  overhead per test, median of pairs: %.2f ms   goal <= %.1f ms: %s%n", overhead, TARGET_MS,
                overhead <= TARGET_MS ? "met" : "NOT met");
        json.put("tests", TESTS);
        json.put("plainTotalsMs", plain);
        json.put("sandboxedTotalsMs", sandboxed);
        json.put("overheadPerTestMs", overhead);
        json.put("targetMs", TARGET_MS);
        json.put("withinTarget", overhead <= TARGET_MS);
        return json;
    }
}
