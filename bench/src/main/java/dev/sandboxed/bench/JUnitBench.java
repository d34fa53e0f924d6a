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
 * is (sandboxed total - plain total) / 200 per pair of runs, and the median of the pairs is reported. The same again
 * with 50 tests that each work 20 ms (a sleep), as real tests do something: only there can the next test's sandbox
 * be started while a test runs. Each test's own time (its start to end event) is reported too, median and p90.
 */
final class JUnitBench implements BenchGroup {
    static final int TESTS = 200;
    static final int WORK_TESTS = 50;
    static final long WORK_MS = 20;
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

    /** 50 tests that work 20 ms each. */
    public static class PlainWork {
        @RepeatedTest(WORK_TESTS)
        void work() throws InterruptedException {
            Thread.sleep(WORK_MS);
        }
    }

    /** The same 50 tests, each with its own sandbox injected. */
    @Sandboxed
    public static class WithSandboxWork {
        @RepeatedTest(WORK_TESTS)
        void work(Container sandbox) throws InterruptedException {
            Thread.sleep(WORK_MS);
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
        try {
            json.putAll(compare(launcher, options, out, Plain.class, WithSandbox.class, TESTS));
            out.printf(Locale.ROOT, "== p5-work: %d @Sandboxed tests working %d ms each vs %d plain ones%n", WORK_TESTS,
                    WORK_MS, WORK_TESTS);
            json.put("work", compare(launcher, options, out, PlainWork.class, WithSandboxWork.class, WORK_TESTS));
        } catch (RuntimeException e) {
            out.println("  FAILED: " + e);
            json.put("skipped", "failed while measuring: " + e);
        }
        return json;
    }

    private static Map<String, Object> compare(Launcher launcher, BenchOptions options, PrintStream out,
                                               Class<?> plainClass, Class<?> sandboxedClass, int tests) {
        Map<String, Object> json = new LinkedHashMap<>();
        List<Double> plain = new ArrayList<>();
        List<Double> sandboxed = new ArrayList<>();
        List<Long> plainEach = new ArrayList<>();
        List<Long> sandboxedEach = new ArrayList<>();
        // Warm-up: class loading, JIT, the extension's runtime and server.
        LauncherRuns.timed(launcher, plainClass, tests);
        LauncherRuns.timed(launcher, sandboxedClass, tests);
        out.print("  runs ");
        for (int i = 0; i < options.repeats(); i++) {
            // Alternate which goes first, so neither always follows the other's leftovers.
            if (i % 2 == 0) {
                plain.add(LauncherRuns.timed(launcher, plainClass, tests, plainEach));
                sandboxed.add(LauncherRuns.timed(launcher, sandboxedClass, tests, sandboxedEach));
            } else {
                sandboxed.add(LauncherRuns.timed(launcher, sandboxedClass, tests, sandboxedEach));
                plain.add(LauncherRuns.timed(launcher, plainClass, tests, plainEach));
            }
            out.print('.');
            out.flush();
        }
        out.println(" done");
        double[] overheads = new double[plain.size()];
        for (int i = 0; i < overheads.length; i++) {
            overheads[i] = (sandboxed.get(i) - plain.get(i)) / tests;
        }
        double overhead = Stats.median(overheads);
        double plainMs = Stats.median(plain.stream().mapToDouble(Double::doubleValue).toArray());
        double sandboxedMs = Stats.median(sandboxed.stream().mapToDouble(Double::doubleValue).toArray());
        Stats plainTest = Stats.of(plainEach.stream().mapToLong(Long::longValue).toArray());
        Stats sandboxedTest = Stats.of(sandboxedEach.stream().mapToLong(Long::longValue).toArray());
        out.printf(Locale.ROOT, "  totals (medians): plain %.1f ms, @Sandboxed %.1f ms for %d tests%n", plainMs, sandboxedMs, tests);
        out.printf(Locale.ROOT, "  each test (start to end event): plain median %.2f p90 %.2f ms, @Sandboxed median %.2f"
                + " p90 %.2f ms%n", plainTest.medianMs(), plainTest.p90Ms(), sandboxedTest.medianMs(), sandboxedTest.p90Ms());
        out.printf(Locale.ROOT, "  overhead per test, median of pairs: %.2f ms   goal <= %.1f ms: %s%n", overhead, TARGET_MS,
                overhead <= TARGET_MS ? "met" : "NOT met");
        json.put("tests", tests);
        json.put("plainTotalsMs", plain);
        json.put("sandboxedTotalsMs", sandboxed);
        json.put("plainPerTest", plainTest);
        json.put("sandboxedPerTest", sandboxedTest);
        json.put("overheadPerTestMs", overhead);
        json.put("targetMs", TARGET_MS);
        json.put("withinTarget", overhead <= TARGET_MS);
        return json;
    }
}
