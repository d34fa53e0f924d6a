package dev.sandboxed.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import dev.sandboxed.junit.Sandboxed;

/**
 * P6: what {@code @Sandboxed(jvm = true)} costs per test. The same 10 trivial tests run in place, each in its own
 * sandboxed JVM (with the class-data archive, {@code sandboxed.jvm.cds=auto}, and without, {@code off}), and each in a
 * fresh plain JVM started by this one (what Surefire's {@code reuseForks=false} costs a test class: {@code java -cp}
 * with no options running the launcher on one method), the last three in rotating order; per side the total for the
 * 10, and per test the median over runs of (side - in place) / 10.
 */
final class JvmBench implements BenchGroup {
    static final int TESTS = 10;
    private static final Map<String, String> CDS_ON = Map.of("sandboxed.jvm.cds", "auto");
    private static final Map<String, String> CDS_OFF = Map.of("sandboxed.jvm.cds", "off");

    /** 10 trivial tests, run in place. */
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

    /** The same 10, each in its own sandboxed JVM. */
    @Sandboxed(jvm = true)
    public static class Hermetic extends InPlace {
    }

    @Override
    public String name() {
        return "p6";
    }

    @Override
    public Map<String, Object> run(BenchOptions options, PrintStream out) {
        out.printf(Locale.ROOT, "== p6: %d trivial tests in place, in a sandboxed JVM each (jvm = true, with and without "
                + "the class-data archive), in a fresh plain JVM each; %d alternating runs%n", TESTS, options.repeats());
        Map<String, Object> json = new LinkedHashMap<>();
        Launcher launcher = LauncherFactory.create();
        List<Double> inPlace = new ArrayList<>();
        List<Double> hermetic = new ArrayList<>();
        List<Double> noCds = new ArrayList<>();
        List<Double> fresh = new ArrayList<>();
        try {
            LauncherRuns.timed(launcher, InPlace.class, TESTS);
            // warm-up: the runtime, the page cache of the JDK and the class path, the class-data archive made once
            LauncherRuns.timed(launcher, Hermetic.class, TESTS, CDS_ON);
            LauncherRuns.timed(launcher, Hermetic.class, TESTS, CDS_OFF);
            freshJvms();
            out.print("  runs ");
            for (int i = 0; i < options.repeats(); i++) {
                inPlace.add(LauncherRuns.timed(launcher, InPlace.class, TESTS));
                for (int side = 0; side < 3; side++) {
                    switch ((i + side) % 3) {
                        case 0 -> hermetic.add(LauncherRuns.timed(launcher, Hermetic.class, TESTS, CDS_ON));
                        case 1 -> noCds.add(LauncherRuns.timed(launcher, Hermetic.class, TESTS, CDS_OFF));
                        default -> fresh.add(freshJvms());
                    }
                }
                out.print('.');
                out.flush();
            }
            out.println(" done");
        } catch (RuntimeException | IOException | InterruptedException e) {
            out.println("  FAILED: " + e);
            json.put("skipped", "failed while measuring: " + e);
            return json;
        }
        double[] hermeticPerTest = new double[inPlace.size()];
        double[] noCdsPerTest = new double[inPlace.size()];
        double[] freshPerTest = new double[inPlace.size()];
        for (int i = 0; i < inPlace.size(); i++) {
            hermeticPerTest[i] = (hermetic.get(i) - inPlace.get(i)) / TESTS;
            noCdsPerTest[i] = (noCds.get(i) - inPlace.get(i)) / TESTS;
            freshPerTest[i] = (fresh.get(i) - inPlace.get(i)) / TESTS;
        }
        double h = Stats.median(hermeticPerTest);
        double n = Stats.median(noCdsPerTest);
        double f = Stats.median(freshPerTest);
        out.printf(Locale.ROOT, "  per test over in place, median of runs: sandboxed JVM %.0f ms (without the class-data "
                + "archive %.0f ms), fresh plain JVM %.0f ms (ratios %.2f and %.2f)%n", h, n, f, h / f, n / f);
        json.put("tests", TESTS);
        json.put("inPlaceTotalsMs", inPlace);
        json.put("hermeticTotalsMs", hermetic);
        json.put("hermeticNoCdsTotalsMs", noCds);
        json.put("freshJvmTotalsMs", fresh);
        json.put("hermeticPerTestMs", h);
        json.put("hermeticNoCdsPerTestMs", n);
        json.put("freshJvmPerTestMs", f);
        json.put("hermeticOverFresh", h / f);
        json.put("hermeticNoCdsOverFresh", n / f);
        return json;
    }

    /** Wall time of the 10 tests, each in a fresh plain JVM run one after the other, in ms. */
    private static double freshJvms() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        for (int i = 0; i < TESTS; i++) {
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
