package dev.sandboxed.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/**
 * The cost @Sandboxed adds to a test: 200 trivial tests with and without the annotation in one JVM, through the
 * JUnit Platform launcher as Surefire runs them, next to P1 measured in the same run.
 *
 * <pre>java -cp bench/target/sandboxed-bench.jar dev.sandboxed.bench.JUnitBench [--tests 200] [--rounds 3]</pre>
 */
public final class JUnitBench {
    static final int TESTS = 200;

    /** 200 trivial tests. */
    public static class Plain {
        @RepeatedTest(TESTS)
        void trivial() {
        }
    }

    /** The same 200 tests, each with its own sandbox injected. */
    @Sandboxed
    public static class WithSandbox {
        @RepeatedTest(TESTS)
        void trivial(Container sandbox) {
        }
    }

    /** The same 200 tests, each running /bin/true in its own sandbox: the JUnit counterpart of P1. */
    @Sandboxed
    public static class WithSandboxAndExec {
        @RepeatedTest(TESTS)
        void trivial(Container sandbox) {
            if (!sandbox.exec("/bin/true").succeeded()) {
                throw new AssertionError("/bin/true failed in the sandbox");
            }
        }
    }

    private JUnitBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length >= 2 && args[0].equals("--rounds") ? Integer.parseInt(args[1]) : 3;
        PrintStream out = System.out;
        Launcher launcher = LauncherFactory.create();
        run(launcher, Plain.class); // warm-up: class loading, JIT, the sandbox-init server
        run(launcher, WithSandboxAndExec.class);
        List<Double> plain = new ArrayList<>();
        List<Double> sandboxed = new ArrayList<>();
        List<Double> withExec = new ArrayList<>();
        List<Double> p1 = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            plain.add(run(launcher, Plain.class));
            sandboxed.add(run(launcher, WithSandbox.class));
            withExec.add(run(launcher, WithSandboxAndExec.class));
            p1.add(p1());
        }
        double plainMs = median(plain) / TESTS;
        double sandboxMs = median(sandboxed) / TESTS;
        double execMs = median(withExec) / TESTS;
        double p1Ms = median(p1) / TESTS;
        out.printf(Locale.ROOT, "JUnit benchmark: %d tests per class, median of %d rounds, ms per test%n", TESTS, rounds);
        out.printf(Locale.ROOT, "  plain test                                  %7.2f%n", plainMs);
        out.printf(Locale.ROOT, "  @Sandboxed, Container injected              %7.2f  (added %.2f)%n", sandboxMs, sandboxMs - plainMs);
        out.printf(Locale.ROOT, "  @Sandboxed, exec /bin/true                  %7.2f  (added %.2f)%n", execMs, execMs - plainMs);
        out.printf(Locale.ROOT, "  P1 in the same JVM (core: start, exec, close) %5.2f%n", p1Ms);
        out.printf(Locale.ROOT, "  added per test with exec minus P1: %.2f ms (target <= 1 ms)%n", execMs - plainMs - p1Ms);
    }

    /** Wall time of one launcher run of {@code testClass}, in ms; fails loudly if any test did not pass. */
    private static double run(Launcher launcher, Class<?> testClass) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        long t0 = System.nanoTime();
        launcher.execute(request, listener);
        double ms = (System.nanoTime() - t0) / 1e6;
        TestExecutionSummary summary = listener.getSummary();
        if (summary.getTotalFailureCount() > 0 || summary.getTestsSucceededCount() != TESTS) {
            StringBuilder why = new StringBuilder();
            summary.getFailures().stream().limit(3).forEach(f -> why.append('\n').append(f.getException()));
            throw new IllegalStateException(testClass.getSimpleName() + ": " + summary.getTestsSucceededCount()
                    + " of " + TESTS + " passed" + why);
        }
        return ms;
    }

    /** P1 as in {@link Bench}, TESTS times, total ms. */
    private static double p1() {
        SandboxSpec spec = SandboxSpec.defaults();
        long t0 = System.nanoTime();
        for (int i = 0; i < TESTS; i++) {
            try (Sandbox s = Sandbox.start(spec)) {
                s.exec("/bin/true");
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
