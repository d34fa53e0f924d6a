package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ResourceUsage;

/** The comparison behind {@link ResourceBudget}, on figures made here. */
class ResourceBudgetsTest {
    private static final ResourceBudgets.Budget ALL = new ResourceBudgets.Budget(
            Optional.of(new ResourceBudgets.Limit<>(100L << 20, "@ResourceBudget(peakMemory = \"100m\") on T")),
            Optional.of(new ResourceBudgets.Limit<>(Duration.ofSeconds(1), "@ResourceBudget(cpuTime = \"1s\") on T")),
            Optional.of(new ResourceBudgets.Limit<>(20L, "@ResourceBudget(peakProcesses = 20) on T")));

    private static ResourceUsage usage(long peakBytes, long cpuMillis, long peakPids) {
        return new ResourceUsage(0, peakBytes, Duration.ofMillis(cpuMillis / 2), Duration.ofMillis(cpuMillis - cpuMillis / 2),
                Duration.ZERO, 0, peakPids, 0, 0);
    }

    @Test
    void figuresAtTheBudgetKeepToIt() {
        assertThat(ResourceBudgets.check(ALL, usage(100L << 20, 1500, 20), Optional.of(Duration.ofMillis(500)))).isEmpty();
    }

    @Test
    void theCpuTimeOfTheJvmsBootDoesNotCount() {
        assertThat(ResourceBudgets.check(ALL, usage(1, 1900, 1), Optional.of(Duration.ofMillis(1000)))).isEmpty();
        assertThat(ResourceBudgets.check(ALL, usage(1, 2100, 1), Optional.of(Duration.ofMillis(1000)))).get()
                .extracting(Throwable::getMessage).asString()
                .contains("CPU time 1.100 s after the JVM's boot (2.100 s with it) is over 1.000 s");
    }

    @Test
    void aBootFigureAboveTheSandboxsOwnIsCutToIt() {
        // The JVM says what its boot took; it cannot make the test's figure negative, nor anything but zero.
        assertThat(ResourceBudgets.testCpu(usage(1, 2000, 1), Optional.of(Duration.ofSeconds(50)))).contains(Duration.ZERO);
        assertThat(ResourceBudgets.testCpu(usage(1, 2000, 1), Optional.empty())).isEmpty();
    }

    @Test
    void noCpuTimeAtAllIsAHostThatDoesNotMeasureIt() {
        ResourceUsage memoryOnly = new ResourceUsage(0, 1, Duration.ZERO, Duration.ZERO, Duration.ZERO, -1, -1, 0, -1);
        assertThat(ResourceBudgets.check(ALL, memoryOnly, Optional.of(Duration.ofMillis(10)))).get()
                .extracting(Throwable::getMessage).asString().contains("CPU time cannot be checked")
                .doesNotContain("peak memory");
        assertThat(ResourceBudgets.testCpu(memoryOnly, Optional.of(Duration.ofMillis(10)))).isEmpty();
    }

    @Test
    void withoutTheStartTheWholeJvmCountsAndTheMessageSaysSo() {
        assertThat(ResourceBudgets.check(ALL, usage(1, 1200, 1), Optional.empty())).get()
                .extracting(Throwable::getMessage).asString()
                .contains("CPU time 1.200 s (the JVM's boot included: it did not report its own) is over 1.000 s");
    }

    @Test
    void everyFigureOverIsNamedInOneFailure() {
        assertThat(ResourceBudgets.check(ALL, usage((100L << 20) + 1, 3000, 21), Optional.of(Duration.ZERO))).get()
                .extracting(Throwable::getMessage).asString()
                .contains("peak memory 104857601 bytes is over 100.0 MiB (@ResourceBudget(peakMemory = \"100m\") on T)")
                .contains("; CPU time 3.000 s")
                .contains("; peak processes and threads 21 is over 20 (@ResourceBudget(peakProcesses = 20) on T)");
    }

    @Test
    void aHostThatDoesNotMeasureFailsTheBudgetInsteadOfPassingIt() {
        assertThat(ResourceBudgets.check(ALL, ResourceUsage.NOT_AVAILABLE, Optional.empty())).get()
                .extracting(Throwable::getMessage).asString()
                .contains("peak memory cannot be checked (@ResourceBudget(peakMemory = \"100m\") on T): this host does not "
                        + "measure it")
                .contains("CPU time cannot be checked").contains("peak processes cannot be checked");
        assertThat(ResourceBudgets.check(ResourceBudgets.NONE, ResourceUsage.NOT_AVAILABLE, Optional.empty())).isEmpty();
    }

    @ResourceBudget(peakMemory = "64m")
    static class Base {
        void test() {
        }
    }

    @ResourceBudget(cpuTime = "2s")
    static class Sub extends Base {
    }

    static class Plain extends Base {
    }

    @Test
    void aBudgetIsNamedWhereItWasDeclaredNotWhereItWasInherited() throws NoSuchMethodException {
        ResourceBudgets.Budget sub = ResourceBudgets.of(Sub.class, Base.class.getDeclaredMethod("test"));
        assertThat(sub.peakMemory()).get().extracting(ResourceBudgets.Limit::declared)
                .isEqualTo("@ResourceBudget(peakMemory = \"64m\") on Base");
        assertThat(sub.cpuTime()).get().extracting(ResourceBudgets.Limit::declared)
                .isEqualTo("@ResourceBudget(cpuTime = \"2s\") on Sub");
        assertThat(ResourceBudgets.of(Plain.class, Base.class.getDeclaredMethod("test")).peakMemory()).get()
                .extracting(ResourceBudgets.Limit::declared).isEqualTo("@ResourceBudget(peakMemory = \"64m\") on Base");
    }
}
