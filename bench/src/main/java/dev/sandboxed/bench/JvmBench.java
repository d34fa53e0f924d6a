package dev.sandboxed.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectIteration;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import dev.sandboxed.junit.Sandboxed;

/**
 * P6: what {@code @Sandboxed(jvm = true)} costs per test, as issue 17 asks. Per round, in rotating order: a suite of
 * {@code --p6-tests} (200) trivial tests through the launcher in this JVM, each in its own sandboxed JVM (the
 * extension's defaults: a JVM prepared ahead, the class-data archive) and the same in place; real Surefire
 * ({@code mvn -o surefire:test}, {@code forkCount=1}) over the same number of one-test classes with
 * {@code reuseForks=false} (a fresh JVM per class) and with {@code reuseForks=true} (one JVM for all); and a plain
 * JVM start: 10 fresh {@code java -cp} JVMs, no options, each running one trivial test with the launcher. Per test
 * and round: hermetic (suite - in place) / n, Surefire (fresh - reused) / n, plain JVM start (10 JVMs - the 10 in
 * place) / 10; reported as median and p90 over rounds, with the ratios to the plain JVM start.
 */
final class JvmBench implements BenchGroup {
    static final int DEFAULT_TESTS = 200;
    static final int MAX_TESTS = 1000;
    static final int PLAIN_STARTS = 10;
    static final double TARGET_RATIO = 0.5;
    private static final int WARM_UP_TESTS = 10;

    /** 10 trivial tests, run in place, and one by one in fresh plain JVMs. */
    public static class InPlace {
        @Test void t0() { }
        @Test void t1() { }
        @Test void t2() { }
        @Test void t3() { }
        @Test void t4() { }
        @Test void t5() { }
        @Test void t6() { }
        @Test void t7() { }
        @Test void t8() { }
        @Test void t9() { }
    }

    /** The suite: one trivial test repeated; a run selects its first n repetitions. */
    public static class Suite {
        @RepeatedTest(MAX_TESTS)
        void trivial() {
        }
    }

    /** The same suite, each repetition in its own sandboxed JVM. */
    @Sandboxed(jvm = true)
    public static class HermeticSuite extends Suite {
    }

    @Override
    public String name() {
        return "p6";
    }

    @Override
    public Map<String, Object> run(BenchOptions options, PrintStream out) {
        int n = options.p6Tests();
        int rounds = options.repeats();
        out.printf(Locale.ROOT, "== p6: %d trivial tests, hermetic (jvm = true, defaults) and in place through the launcher;"
                + " real Surefire %s (forkCount=1, reuseForks=false and true, one test per class, mvn -o); %d plain JVM"
                + " starts; %d rounds, sides in rotating order%n", n, SurefireProject.SUREFIRE, PLAIN_STARTS, rounds);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tests", n);
        json.put("rounds", rounds);
        Launcher launcher = LauncherFactory.create();
        SurefireProject surefire = null;
        try {
            surefire = SurefireProject.create(n);
        } catch (IOException | RuntimeException e) {
            out.println("  Surefire side skipped: " + e.getMessage());
            json.put("surefireSkipped", String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            json.put("skipped", "interrupted");
            return json;
        }
        try {
            measure(launcher, surefire, n, rounds, out, json);
        } catch (RuntimeException | IOException e) {
            out.println("  FAILED: " + e);
            json.put("skipped", "failed while measuring: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            json.put("skipped", "interrupted");
        } finally {
            if (surefire != null) {
                try {
                    surefire.close();
                } catch (IOException e) {
                    out.println("  could not remove the Surefire project: " + e);
                }
            }
        }
        return json;
    }

    private static void measure(Launcher launcher, SurefireProject surefire, int n, int rounds, PrintStream out,
                                Map<String, Object> json) throws IOException, InterruptedException {
        // Warm-up: the runtime, the page cache of the JDK, Maven and the class path; the class-data archive made once.
        LauncherRuns.timed(launcher, suite(Suite.class, WARM_UP_TESTS), "in place", WARM_UP_TESTS);
        LauncherRuns.timed(launcher, suite(HermeticSuite.class, WARM_UP_TESTS), "hermetic", WARM_UP_TESTS);
        LauncherRuns.timed(launcher, InPlace.class, PLAIN_STARTS);
        plainStarts();
        if (surefire != null) {
            surefire.warmUp(WARM_UP_TESTS);
        }
        List<Double> inPlace = new ArrayList<>();
        List<Double> hermetic = new ArrayList<>();
        List<Double> fresh = new ArrayList<>();
        List<Double> reused = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        List<Double> plainInPlace = new ArrayList<>();
        int sides = 5;
        for (int r = 0; r < rounds; r++) {
            for (int s = 0; s < sides; s++) {
                switch ((r + s) % sides) {
                    case 0 -> hermetic.add(LauncherRuns.timed(launcher, suite(HermeticSuite.class, n), "hermetic", n));
                    case 1 -> inPlace.add(LauncherRuns.timed(launcher, suite(Suite.class, n), "in place", n));
                    case 2 -> {
                        if (surefire != null) {
                            fresh.add(surefire.timed(false));
                        }
                    }
                    case 3 -> {
                        if (surefire != null) {
                            reused.add(surefire.timed(true));
                        }
                    }
                    default -> {
                        plainInPlace.add(LauncherRuns.timed(launcher, InPlace.class, PLAIN_STARTS));
                        plain.add(plainStarts());
                    }
                }
            }
            int i = r;
            out.printf(Locale.ROOT, "  round %d: hermetic %.0f, in place %.0f, Surefire fresh %s, reused %s, %d plain"
                    + " JVMs %.0f ms; load %s%n", r + 1, hermetic.get(i), inPlace.get(i),
                    surefire == null ? "-" : String.format(Locale.ROOT, "%.0f", fresh.get(i)),
                    surefire == null ? "-" : String.format(Locale.ROOT, "%.0f", reused.get(i)), PLAIN_STARTS,
                    plain.get(i), Bench.loadAverage());
        }
        double[] hermeticPerTest = new double[rounds];
        double[] plainStart = new double[rounds];
        double[] hermeticRatio = new double[rounds];
        double[] surefirePerTest = new double[surefire == null ? 0 : rounds];
        double[] surefireRatio = new double[surefirePerTest.length];
        for (int i = 0; i < rounds; i++) {
            hermeticPerTest[i] = (hermetic.get(i) - inPlace.get(i)) / n;
            plainStart[i] = (plain.get(i) - plainInPlace.get(i)) / PLAIN_STARTS;
            hermeticRatio[i] = hermeticPerTest[i] / plainStart[i];
            if (surefire != null) {
                surefirePerTest[i] = (fresh.get(i) - reused.get(i)) / n;
                surefireRatio[i] = surefirePerTest[i] / plainStart[i];
            }
        }
        json.put("inPlaceTotalsMs", inPlace);
        json.put("hermeticTotalsMs", hermetic);
        json.put("surefireFreshTotalsMs", fresh);
        json.put("surefireReusedTotalsMs", reused);
        json.put("plainStartTotalsMs", plain);
        json.put("plainStartInPlaceTotalsMs", plainInPlace);
        json.put("hermeticPerTestMs", summary(hermeticPerTest));
        json.put("plainJvmStartMs", summary(plainStart));
        json.put("hermeticOverPlainStart", summary(hermeticRatio));
        double h = Stats.median(hermeticPerTest);
        double p = Stats.median(plainStart);
        double ratio = Stats.median(hermeticRatio);
        out.printf(Locale.ROOT, "  per test, median (p90) of %d rounds: hermetic %.0f (%.0f) ms over in place, plain JVM start"
                + " %.0f (%.0f) ms%n", rounds, h, Stats.percentile(hermeticPerTest, 90), p, Stats.percentile(plainStart, 90));
        if (surefire != null) {
            json.put("surefirePerTestMs", summary(surefirePerTest));
            json.put("surefireOverPlainStart", summary(surefireRatio));
            out.printf(Locale.ROOT, "  Surefire reuseForks=false over reuseForks=true: %.0f (%.0f) ms per test, %.2f (%.2f)"
                    + " of a plain JVM start%n", Stats.median(surefirePerTest), Stats.percentile(surefirePerTest, 90),
                    Stats.median(surefireRatio), Stats.percentile(surefireRatio, 90));
        }
        out.printf(Locale.ROOT, "  hermetic / plain JVM start, median (p90) of rounds: %.2f (%.2f)   target < %.1f: %s%n",
                ratio, Stats.percentile(hermeticRatio, 90), TARGET_RATIO, ratio < TARGET_RATIO ? "met" : "NOT met");
        json.put("targetRatio", TARGET_RATIO);
        json.put("withinTarget", ratio < TARGET_RATIO);
    }

    private static Map<String, Object> summary(double[] perRound) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median", Stats.median(perRound));
        m.put("p90", Stats.percentile(perRound, 90));
        m.put("perRound", perRound);
        return m;
    }

    /** The first {@code n} repetitions of the suite's test. */
    private static DiscoverySelector suite(Class<?> suite, int n) {
        return selectIteration(selectMethod(suite, "trivial"), IntStream.range(0, n).toArray());
    }

    /** Wall time of the 10 tests, each in a fresh plain JVM run one after the other, in ms. */
    private static double plainStarts() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        for (int i = 0; i < PLAIN_STARTS; i++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), OneTest.class.getName(),
                    InPlace.class.getName(), "t" + i).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("fresh JVM for t" + i + " exited with " + p.exitValue());
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** A fresh JVM's main: runs one test method with the launcher; exit code 0 if it passed. */
    public static final class OneTest {
        private OneTest() {
        }

        public static void main(String[] args) {
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectMethod(args[0], args[1], "")).build(), listener);
            System.exit(listener.getSummary().getTestsSucceededCount() == 1 ? 0 : 1);
        }
    }
}
