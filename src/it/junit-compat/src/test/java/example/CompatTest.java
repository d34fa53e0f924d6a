package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.SandboxDiagnostics;
import dev.sandboxed.junit.Sandboxed;

/**
 * What every supported JUnit must run: parameter, field and constructor injection, a failing exec reported as a
 * result, and diagnostics on a failure (the constructor path uses the instantiation callback newer JUnits refine).
 * No AssertJ: the project depends on the BOM, sandboxed-junit and JUnit only, as a user without AssertJ would.
 */
@Sandboxed(hostname = "compat")
class CompatTest {
    private final Container fromConstructor;

    @Sandboxed(name = "field")
    Container field;

    private String seenBeforeEach;

    CompatTest(Container fromConstructor) {
        this.fromConstructor = fromConstructor;
    }

    @BeforeEach
    void before(Container container) {
        seenBeforeEach = container.id();
    }

    @Test
    void parameterRunsCommands(Container container) {
        assertEquals("compat\n", container.exec("hostname").stdout());
        assertEquals(seenBeforeEach, container.id(), "one container per test for the unnamed parameter");
    }

    @Test
    void constructorAndFieldAreInjected() {
        assertEquals("ok\n", fromConstructor.exec("sh", "-c", "echo ok").stdout());
        assertEquals("compat\n", field.exec("hostname").stdout());
        assertNotEquals(fromConstructor.id(), field.id(), "a named field is its own container");
    }

    @Test
    void failingCommandIsAResult(Container container) {
        assertEquals(3, container.exec("sh", "-c", "exit 3").exitCode());
    }

    /** A failing @Sandboxed test still gets its diagnostics, and nothing of a newer JUnit is needed for that. */
    @Test
    void failureGetsDiagnostics() {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(
                LauncherDiscoveryRequestBuilder.request().selectors(selectClass(FailsInside.class)).build(), listener);
        List<TestExecutionSummary.Failure> failures = listener.getSummary().getFailures();
        assertEquals(1, failures.size(), "the inner test fails once");
        Throwable thrown = failures.get(0).getException();
        assertTrue(thrown instanceof AssertionError, "the test's own failure, not a linkage error: " + thrown);
        assertTrue(Arrays.stream(thrown.getSuppressed()).anyMatch(SandboxDiagnostics.class::isInstance),
                "diagnostics attached: " + Arrays.toString(thrown.getSuppressed()));
    }

    /** Run by failureGetsDiagnostics only: Surefire skips nested classes. */
    @Sandboxed
    static class FailsInside {
        @Test
        void fails(Container container) {
            assertTrue(container.exec("sh", "-c", "echo inner; exit 1").succeeded(), "inner command fails");
        }
    }
}
