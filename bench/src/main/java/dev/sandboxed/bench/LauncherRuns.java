package dev.sandboxed.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Test classes run through the JUnit Platform launcher in this JVM, timed the way a build tool would run them. */
final class LauncherRuns {
    private LauncherRuns() {
    }

    /**
     * Wall time of one launcher run of {@code testClass}, in ms; fails loudly unless all {@code tests} passed (a
     * benchmark of failing tests measures nothing).
     */
    static double timed(Launcher launcher, Class<?> testClass, int tests) {
        return timed(launcher, testClass, tests, Map.of(), null);
    }

    /** {@link #timed(Launcher, Class, int)} with these configuration parameters. */
    static double timed(Launcher launcher, Class<?> testClass, int tests, Map<String, String> configuration) {
        return timed(launcher, testClass, tests, configuration, null);
    }

    /** As {@link #timed(Launcher, Class, int)}, adding each test's own time (start to end event, in ns) to {@code perTest}. */
    static double timed(Launcher launcher, Class<?> testClass, int tests, List<Long> perTest) {
        return timed(launcher, testClass, tests, Map.of(), perTest);
    }

    /** As {@link #timed(Launcher, Class, int)}, for the tests {@code selector} selects. */
    static double timed(Launcher launcher, DiscoverySelector selector, String name, int tests) {
        return timed(launcher, selector, name, tests, Map.of(), null);
    }

    private static double timed(Launcher launcher, Class<?> testClass, int tests, Map<String, String> configuration,
                                List<Long> perTest) {
        return timed(launcher, selectClass(testClass), testClass.getSimpleName(), tests, configuration, perTest);
    }

    private static double timed(Launcher launcher, DiscoverySelector selector, String name, int tests,
                                Map<String, String> configuration, List<Long> perTest) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selector)
                .configurationParameters(configuration).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        TestExecutionListener each = new TestExecutionListener() {
            private final Map<String, Long> started = new ConcurrentHashMap<>();

            @Override
            public void executionStarted(TestIdentifier id) {
                if (id.isTest()) {
                    started.put(id.getUniqueId(), System.nanoTime());
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                Long t = started.remove(id.getUniqueId());
                if (t != null && perTest != null) {
                    perTest.add(System.nanoTime() - t);
                }
            }
        };
        long t0 = System.nanoTime();
        launcher.execute(request, listener, each);
        double ms = (System.nanoTime() - t0) / 1e6;
        TestExecutionSummary summary = listener.getSummary();
        if (summary.getTotalFailureCount() > 0 || summary.getTestsSucceededCount() != tests) {
            StringBuilder why = new StringBuilder();
            summary.getFailures().stream().limit(3).forEach(f -> why.append('\n').append(f.getException()));
            throw new IllegalStateException(name + ": " + summary.getTestsSucceededCount()
                    + " of " + tests + " passed" + why);
        }
        return ms;
    }
}
