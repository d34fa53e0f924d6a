package dev.sandboxed.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a {@code @Sandboxed(jvm = true)} test may use, checked as an assertion once its sandboxed JVM has ended: a test
 * that passed there fails here when its sandbox went over the budget, naming each figure, the budget and where it was
 * declared; a test that failed keeps its own failure, with the overrun added as a suppressed one. Unlike a limit
 * ({@code @Sandboxed(memory)}), nothing is killed: the figure is measured and compared, so a budget catches a test
 * that grew, long before it would hit a limit.
 *
 * <pre>{@code
 * @Test
 * @Sandboxed(jvm = true)
 * @ResourceBudget(peakMemory = "256m", cpuTime = "2s", peakProcesses = 64)
 * void parsesTheYearOfOrders() { ... }
 * }</pre>
 *
 * <p>On a class, it applies to each of its tests, {@code @Nested} ones included; each attribute set on a method, or on a
 * class nearer to it, wins over the same attribute further out. Empty strings and 0 mean "no budget here". The figures
 * come from the sandbox's cgroup: where this host keeps none for sandboxes (rootless without a delegated cgroup), or
 * its kernel keeps no peak ({@code memory.peak} needs Linux 5.19 on cgroup v2), a budget on that figure fails the test
 * saying so, rather than passing unchecked. Every {@code jvm = true} test publishes its figures
 * as report entries ({@code sandboxed.jvm.memoryPeakBytes}, {@code sandboxed.jvm.testCpuMillis},
 * {@code sandboxed.jvm.pidsPeak}; -1 where not measured), from which a budget can be chosen. On a test without {@code jvm = true} it is
 * refused: a container's usage is asserted with {@link SandboxAssertions#assertThat(dev.sandboxed.core.result.ResourceUsage)}.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(SandboxedExtension.class) // so that a budget on a test without @Sandboxed is seen and refused
public @interface ResourceBudget {

    /**
     * The sandbox's highest memory charge, JVM included (heap, native memory, the file pages it brought in), e.g.
     * {@code 256m}; bytes or a number with k, m, g.
     */
    String peakMemory() default "";

    /**
     * User plus system CPU time of the sandbox once its JVM, booted, got the test: finding it, class initialization,
     * {@code @BeforeAll}, the instance, {@code @BeforeEach}, the method, {@code @AfterEach}, {@code @AfterAll}, the
     * JVM's exit and any process the test started; e.g. {@code 2s} or {@code 500ms}. The JVM reports what its boot took
     * (to the clock tick, 10 ms).
     */
    String cpuTime() default "";

    /** The highest number of processes and threads at once in the sandbox, the JVM's own threads included. */
    int peakProcesses() default 0;
}
