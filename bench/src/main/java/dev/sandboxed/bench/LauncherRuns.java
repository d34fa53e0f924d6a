package dev.sandboxed.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Map;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
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
        return timed(launcher, testClass, tests, Map.of());
    }

    /** {@link #timed(Launcher, Class, int)} with these configuration parameters. */
    static double timed(Launcher launcher, Class<?> testClass, int tests, Map<String, String> configuration) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass))
                .configurationParameters(configuration).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        long t0 = System.nanoTime();
        launcher.execute(request, listener);
        double ms = (System.nanoTime() - t0) / 1e6;
        TestExecutionSummary summary = listener.getSummary();
        if (summary.getTotalFailureCount() > 0 || summary.getTestsSucceededCount() != tests) {
            StringBuilder why = new StringBuilder();
            summary.getFailures().stream().limit(3).forEach(f -> why.append('\n').append(f.getException()));
            throw new IllegalStateException(testClass.getSimpleName() + ": " + summary.getTestsSucceededCount()
                    + " of " + tests + " passed" + why);
        }
        return ms;
    }
}
