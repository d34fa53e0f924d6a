package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.Event;
import org.opentest4j.AssertionFailedError;

/**
 * {@link ResourceBudget}: the sandboxed JVM's usage checked as an assertion in the test JVM, once that JVM has ended.
 * The figures are far from any budget in either direction (a JVM takes megabytes and some ten threads), so nothing
 * here depends on the machine's speed or load.
 */
class JvmBudgetTest {

    @Sandboxed(jvm = true)
    @ResourceBudget(peakMemory = "1m") // every test here but the last two overrides it or goes over it
    static class Budgets {
        @Test
        @ResourceBudget(peakMemory = "4g", cpuTime = "10m", peakProcesses = 100_000)
        void within() {
        }

        @Test
        void overTheClassesMemory() {
        }

        @Test
        @ResourceBudget(peakMemory = "4g", peakProcesses = 2)
        void overProcesses() {
        }

        @Test
        @ResourceBudget(peakMemory = "4g", cpuTime = "1ms")
        void overCpu() {
            long end = System.nanoTime() + 200_000_000L;
            long spin = 0;
            while (System.nanoTime() < end) {
                spin++;
            }
            assertThat(spin).isPositive();
        }

        @Test
        void failsAndGoesOver() {
            fail("its own failure");
        }

        @Nested
        class Inner {
            @Test
            void inheritsTheOuterBudget() {
            }

            @Test
            @ResourceBudget(peakMemory = "4g")
            void overridesIt() {
            }
        }
    }

    @Test
    void aTestOverItsBudgetFailsNamingEachFigureAndWhereItWasDeclared() {
        EngineExecutionResults results = Kit.run(Budgets.class);
        Map<String, TestExecutionResult> byTest = new LinkedHashMap<>();
        for (Event e : results.testEvents().finished().list()) {
            byTest.put(e.getTestDescriptor().getDisplayName(), e.getRequiredPayload(TestExecutionResult.class));
        }
        assertThat(byTest).hasSize(7);
        assertThat(byTest.get("within()").getStatus()).as("within its budget: %s", byTest.get("within()"))
                .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        assertThat(byTest.get("overridesIt()").getStatus()).as("a method's attribute wins: %s", byTest.get("overridesIt()"))
                .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);

        assertThat(failure(byTest, "overTheClassesMemory()")).isInstanceOf(AssertionFailedError.class)
                .hasMessageStartingWith("the sandboxed JVM went over its resource budget: peak memory ")
                .hasMessageContaining("is over 1.0 MiB (@ResourceBudget(peakMemory = \"1m\") on Budgets)");
        assertThat(Kit.diagnostics(failure(byTest, "overTheClassesMemory()"))).contains("usage: memory now");
        assertThat(failure(byTest, "inheritsTheOuterBudget()")).hasMessageContaining("on Budgets)");
        assertThat(failure(byTest, "overProcesses()")).hasMessageContaining("peak processes and threads ")
                .hasMessageContaining("is over 2 (@ResourceBudget(peakProcesses = 2) on Budgets.overProcesses)")
                .hasMessageNotContaining("peak memory");
        assertThat(failure(byTest, "overCpu()")).hasMessageContaining("CPU time ")
                .hasMessageContaining(" after the JVM's boot (")
                .hasMessageContaining(" with it) is over 0.001 s (@ResourceBudget(cpuTime = \"1ms\") on "
                        + "Budgets.overCpu)");

        Throwable own = failure(byTest, "failsAndGoesOver()");
        assertThat(own).as("the test's own failure first").hasMessage("its own failure");
        assertThat(Arrays.stream(own.getSuppressed()).map(Throwable::getMessage).toList())
                .anySatisfy(m -> assertThat(m).startsWith("the sandboxed JVM went over its resource budget: peak memory"));
    }

    @Sandboxed(jvm = true)
    static class Trivial {
        @Test
        void nothing() {
        }
    }

    @Test
    void theCpuTimeFromTheTestsStartIsPublishedBesideTheWholeJvms() {
        EngineExecutionResults results = Kit.run(Trivial.class);
        Kit.succeeded(results, 1);
        Map<String, String> usage = results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs())
                .filter(e -> e.containsKey("sandboxed.jvm.usage")).findFirst().orElseThrow();
        long whole = Long.parseLong(usage.get("sandboxed.jvm.cpuMillis"));
        long test = Long.parseLong(usage.get("sandboxed.jvm.testCpuMillis"));
        // The JVM's start (its boot, JUnit finding the test) is left out: it takes CPU time on any machine.
        assertThat(test).as("CPU ms from the test's start, of %d in all", whole).isNotNegative().isLessThan(whole);
    }

    @Sandboxed(jvm = true)
    static class BadMemory {
        @Test
        @ResourceBudget(peakMemory = "lots")
        void test() {
        }
    }

    @Sandboxed(jvm = true)
    static class BadCpu {
        @Test
        @ResourceBudget(cpuTime = "0s")
        void test() {
        }
    }

    @Sandboxed(jvm = true)
    static class BadProcesses {
        @Test
        @ResourceBudget(peakProcesses = -1)
        void test() {
        }
    }

    @Test
    void aBadBudgetIsRefusedNamingTheAttributeBeforeAnyJvmStarts() {
        for (var c : Map.of(BadMemory.class, "invalid ResourceBudget.peakMemory: 'lots' is not a size; expected",
                BadCpu.class, "invalid ResourceBudget.cpuTime: '0s' must be a positive duration; expected a positive duration such as "
                        + "500ms or 2s",
                BadProcesses.class, "invalid ResourceBudget.peakProcesses: '-1' is negative; expected a positive whole number")
                .entrySet()) {
            EngineExecutionResults results = Kit.run(c.getKey());
            assertThat(Kit.onlyFailure(results)).isInstanceOf(SandboxedConfigurationException.class)
                    .hasMessageStartingWith(c.getValue());
            assertThat(results.allEvents().reportingEntryPublished().stream()
                    .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs()))
                    .as("no sandboxed JVM ran").noneSatisfy(e -> assertThat(e).containsKey("sandboxed.jvm.usage"));
        }
    }

    @Sandboxed
    static class InPlace {
        @Test
        @ResourceBudget(peakMemory = "64m")
        void test() {
        }
    }

    static class WithoutSandboxed {
        @Test
        @ResourceBudget(cpuTime = "1s")
        void test() {
        }
    }

    @Test
    void aBudgetOnATestThatRunsInPlaceIsRefusedRatherThanLeftUnchecked() {
        for (Class<?> fixture : List.of(InPlace.class, WithoutSandboxed.class)) {
            assertThat(Kit.onlyFailure(Kit.run(fixture))).as(fixture.getSimpleName())
                    .isInstanceOf(SandboxedConfigurationException.class)
                    .hasMessageStartingWith("invalid ResourceBudget: it applies to @Sandboxed(jvm = true) tests");
        }
    }

    private static Throwable failure(Map<String, TestExecutionResult> byTest, String test) {
        TestExecutionResult r = byTest.get(test);
        assertThat(r.getStatus()).as(test).isEqualTo(TestExecutionResult.Status.FAILED);
        return r.getThrowable().orElseThrow();
    }
}
