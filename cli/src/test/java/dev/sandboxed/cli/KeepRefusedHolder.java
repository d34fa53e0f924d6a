package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import dev.sandboxed.junit.CleanupMode;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/**
 * The other JVM of {@link KeptSandboxTest}: with {@code sandboxed.keep.afterJvm=true}, a failing test's container
 * that cannot outlive the JVM (it exposes a host port); prints the diagnostics ("FAILURE ...") and report entries
 * ("KEPT ...") and exits.
 */
public final class KeepRefusedHolder {
    private KeepRefusedHolder() {
    }

    @Sandboxed(cleanup = CleanupMode.ON_SUCCESS, exposeHostPorts = 1)
    public static class ExposingTest {
        @Test
        void fails(Container c) {
            c.exec("true");
            fail("deliberate");
        }
    }

    public static void main(String[] args) {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ExposingTest.class))
                .configurationParameter("sandboxed.keep.afterJvm", "true").execute();
        for (Event e : results.testEvents().failed().list()) {
            Throwable t = e.getPayload(TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
            for (Throwable s : t.getSuppressed()) {
                s.getMessage().lines().forEach(l -> System.out.println("FAILURE " + l));
            }
        }
        for (Event e : results.allEvents().reportingEntryPublished().list()) {
            e.getPayload(ReportEntry.class).orElseThrow().getKeyValuePairs().forEach((k, v) -> {
                if (k.equals("sandboxed.kept")) {
                    System.out.println("KEPT " + v);
                }
            });
        }
        System.exit(0);
    }
}
