package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/** The JUnit timeouts the parent bounds a sandboxed JVM by, found as JUnit finds them there. */
class TestTimeoutsTest {
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);
    private static final Duration ALLOWANCE = Duration.ofSeconds(60);

    static class Untimed {
        @Test
        void test() {
        }

        @RepeatedTest(2)
        void template() {
        }

        @TestFactory
        Stream<DynamicTest> factory() {
            return Stream.empty();
        }

        @Test
        @Timeout(value = 250, unit = TimeUnit.MILLISECONDS)
        void timed() {
        }
    }

    @Timeout(7)
    static class TimedClass {
        @BeforeEach
        void untimedSetUp() {
        }

        @Test
        void test() {
        }

        @Test
        @Timeout(3)
        void ownTimeout() {
        }

        @Nested
        class Inner {
            @Test
            void test() {
            }
        }

        @Nested
        @Timeout(5)
        class TimedInner {
            @Test
            void test() {
            }
        }
    }

    static class TimedLifecycle {
        @BeforeAll
        @Timeout(1)
        static void setUpClass() {
        }

        @BeforeEach
        @Timeout(2)
        void setUp() {
        }

        @AfterEach
        void tearDown() {
        }

        @Test
        @Timeout(4)
        void test() {
        }
    }

    private static Optional<Duration> total(Class<?> type, String method, Map<String, String> config, String... options) {
        return timeouts(type, method, List.of(type), config, options).map(t -> t.method().plus(t.lifecycle()));
    }

    private static Optional<TestTimeouts.Timeouts> timeouts(Class<?> type, String name, List<Class<?>> classes,
                                                            Map<String, String> config, String... options) {
        Method method = Stream.of(type.getDeclaredMethods()).filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
        return TestTimeouts.of(method, classes, k -> Optional.ofNullable(config.get(k)), List.of(options));
    }

    @Test
    void aTestWithoutJUnitTimeoutKeepsTheSandboxTimeout() {
        assertThat(total(Untimed.class, "test", Map.of())).isEmpty();
        TestTimeouts.Bound bound = new TestTimeouts.Bound(TEN_MINUTES, Optional.empty(), ALLOWANCE);
        assertThat(bound.timeout()).isEqualTo(TEN_MINUTES);
        assertThat(bound.killed("while the test ran")).isEqualTo("the sandboxed JVM did not finish within 600 s and was "
                + "killed while the test ran (timeout; set @Sandboxed(timeout) or sandboxed.timeout)");
    }

    @Test
    void theBoundIsTheSmallerOfTheSandboxTimeoutAndTheTestsTimeoutPlusTheAllowance() {
        TestTimeouts.Timeouts one = new TestTimeouts.Timeouts(Duration.ofSeconds(1), Duration.ZERO);
        TestTimeouts.Bound bound = new TestTimeouts.Bound(TEN_MINUTES, Optional.of(one), Duration.ofSeconds(2));
        assertThat(bound.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(bound.killed("before the test started")).isEqualTo("the sandboxed JVM did not finish within the "
                + "test's timeout of 1 s plus the 2 s allowance (sandboxed.jvm.timeoutAllowance) and was killed before "
                + "the test started (raise sandboxed.jvm.timeoutAllowance if its start or untimed set-up needs longer)");
        TestTimeouts.Timeouts withLifecycle = new TestTimeouts.Timeouts(Duration.ofMillis(250), Duration.ofSeconds(3));
        assertThat(new TestTimeouts.Bound(TEN_MINUTES, Optional.of(withLifecycle), ALLOWANCE).killed("while the test ran"))
                .isEqualTo("the sandboxed JVM did not finish within the test's timeout of 250 ms and its lifecycle "
                        + "methods' of 3 s plus the 60 s allowance (sandboxed.jvm.timeoutAllowance) and was killed while "
                        + "the test ran (raise sandboxed.jvm.timeoutAllowance if its start or untimed set-up needs longer)");
        // A sandbox timeout shorter than that stays the bound, and its message.
        TestTimeouts.Bound shorter = new TestTimeouts.Bound(Duration.ofSeconds(2), Optional.of(one), Duration.ofSeconds(2));
        assertThat(shorter.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(shorter.killed("while the test ran")).startsWith("the sandboxed JVM did not finish within 2 s and");
        // Days of timeout do not overflow.
        TestTimeouts.Timeouts huge = new TestTimeouts.Timeouts(Duration.ofNanos(Long.MAX_VALUE), Duration.ofNanos(Long.MAX_VALUE));
        assertThat(new TestTimeouts.Bound(TEN_MINUTES, Optional.of(huge), ALLOWANCE).timeout()).isEqualTo(TEN_MINUTES);
    }

    @Test
    void theMethodsTimeoutWinsThenTheNearestClasssThenTheConfiguration() {
        // Not the global default: it would apply to the untimed @BeforeEach too.
        Map<String, String> config = Map.of("junit.jupiter.execution.timeout.testable.method.default", "99 s");
        assertThat(total(TimedClass.class, "ownTimeout", config)).contains(Duration.ofSeconds(3));
        assertThat(total(TimedClass.class, "test", config)).contains(Duration.ofSeconds(7));
        List<Class<?>> inner = List.of(TimedClass.Inner.class, TimedClass.class);
        assertThat(timeouts(TimedClass.Inner.class, "test", inner, config)).map(TestTimeouts.Timeouts::method)
                .contains(Duration.ofSeconds(7));
        List<Class<?>> timedInner = List.of(TimedClass.TimedInner.class, TimedClass.class);
        assertThat(timeouts(TimedClass.TimedInner.class, "test", timedInner, config)).map(TestTimeouts.Timeouts::method)
                .contains(Duration.ofSeconds(5));
        assertThat(total(Untimed.class, "timed", config)).contains(Duration.ofMillis(250));
        assertThat(total(Untimed.class, "test", config)).contains(Duration.ofSeconds(99));
    }

    @Test
    void theConfiguredDefaultsGoByTheMethodsKindAndSkipWhatJUnitIgnores() {
        Map<String, String> config = new HashMap<>(Map.of("junit.jupiter.execution.timeout.default", "9",
                "junit.jupiter.execution.timeout.testable.method.default", "8 s",
                "junit.jupiter.execution.timeout.test.method.default", "1 m",
                "junit.jupiter.execution.timeout.testtemplate.method.default", "2m",
                "junit.jupiter.execution.timeout.testfactory.method.default", "3 M"));
        assertThat(total(Untimed.class, "test", config)).contains(Duration.ofMinutes(1));
        assertThat(total(Untimed.class, "template", config)).contains(Duration.ofMinutes(2));
        assertThat(total(Untimed.class, "factory", config)).contains(Duration.ofMinutes(3));
        config.put("junit.jupiter.execution.timeout.test.method.default", "1 minute"); // JUnit logs and ignores it
        assertThat(total(Untimed.class, "test", config)).contains(Duration.ofSeconds(8));
        config.put("junit.jupiter.execution.timeout.testable.method.default", "0");
        assertThat(total(Untimed.class, "test", config)).contains(Duration.ofSeconds(9));
    }

    @Test
    void durationsParseAsJUnitParsesThem() {
        assertThat(TestTimeouts.parse("5 s")).contains(Duration.ofSeconds(5));
        assertThat(TestTimeouts.parse("500ms")).contains(Duration.ofMillis(500));
        assertThat(TestTimeouts.parse("42")).contains(Duration.ofSeconds(42));
        assertThat(TestTimeouts.parse("7 \u03bcs")).contains(Duration.ofNanos(7000));
        assertThat(TestTimeouts.parse("3 NS")).contains(Duration.ofNanos(3));
        assertThat(TestTimeouts.parse("2 h")).contains(Duration.ofHours(2));
        assertThat(TestTimeouts.parse("1d")).contains(Duration.ofDays(1));
        for (String bad : List.of("0", "05 s", "-1", "1.5 s", "5  s", "5 sec", " 5 s", "", "7 \u00b5s", "99999999999999999999")) {
            assertThat(TestTimeouts.parse(bad)).as(bad).isEmpty();
        }
        assertThat(TestTimeouts.parse("999999 d")).contains(Duration.ofNanos(Long.MAX_VALUE)); // as TimeUnit saturates
    }

    @Test
    void lifecycleMethodsAddTheirOwnTimeoutOrTheirDefaultButNotTheClasss() {
        assertThat(timeouts(TimedLifecycle.class, "test", List.of(TimedLifecycle.class), Map.of()))
                .contains(new TestTimeouts.Timeouts(Duration.ofSeconds(4), Duration.ofSeconds(3)));
        Map<String, String> config = Map.of("junit.jupiter.execution.timeout.lifecycle.method.default", "10 s",
                "junit.jupiter.execution.timeout.aftereach.method.default", "20 s");
        assertThat(timeouts(TimedLifecycle.class, "test", List.of(TimedLifecycle.class), config))
                .contains(new TestTimeouts.Timeouts(Duration.ofSeconds(4), Duration.ofSeconds(23)));
        // The class's @Timeout(7) does not reach its untimed @BeforeEach.
        assertThat(total(TimedClass.class, "test", Map.of())).contains(Duration.ofSeconds(7));
        assertThat(total(TimedClass.class, "test", Map.of("junit.jupiter.execution.timeout.beforeeach.method.default",
                "1 s"))).contains(Duration.ofSeconds(8));
        assertThat(total(TimedClass.class, "test", Map.of("junit.jupiter.execution.timeout.default", "1 s")))
                .contains(Duration.ofSeconds(8));
    }

    @Test
    void noBoundWhereJUnitAppliesNoTimeouts() {
        assertThat(total(TimedClass.class, "test", Map.of("junit.jupiter.execution.timeout.mode", "disabled"))).isEmpty();
        Map<String, String> onDebug = Map.of("junit.jupiter.execution.timeout.mode", "disabled_on_debug");
        assertThat(total(TimedClass.class, "test", onDebug, "-agentlib:jdwp=transport=dt_socket,server=y")).isEmpty();
        assertThat(total(TimedClass.class, "test", onDebug, "-Xmx64m")).contains(Duration.ofSeconds(7));
        assertThat(total(TimedClass.class, "test", Map.of("junit.jupiter.execution.timeout.mode", "enabled")))
                .contains(Duration.ofSeconds(7));
        // In place JUnit never kills a JVM stopped at a breakpoint: nor does the bound, whatever the mode.
        assertThat(total(TimedClass.class, "test", Map.of("junit.jupiter.execution.timeout.mode", "enabled"),
                "-agentlib:jdwp=transport=dt_socket,server=y")).isEmpty();
        assertThat(total(TimedClass.class, "test", Map.of(), "-Xrunjdwp:transport=dt_socket")).isEmpty();
    }

    @Test
    void aDebuggerGivenInTheEnvironmentCountsAsOne() {
        String agent = "-agentlib:jdwp=transport=dt_socket,server=y";
        for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
            List<String> options = TestTimeouts.launchOptions(List.of("-Xmx64m"), Map.of(variable, " -Dx=1  " + agent + " "));
            assertThat(options).containsExactly("-Xmx64m", "-Dx=1", agent);
            assertThat(total(TimedClass.class, "test", Map.of(), options.toArray(String[]::new))).as(variable).isEmpty();
        }
        List<String> elsewhere = TestTimeouts.launchOptions(List.of(), Map.of("OTHER", agent, "JAVA_TOOL_OPTIONS", " "));
        assertThat(elsewhere).isEmpty();
        assertThat(total(TimedClass.class, "test", Map.of(), elsewhere.toArray(String[]::new))).contains(Duration.ofSeconds(7));
    }

    @Test
    void aValueJUnitIgnoresIsIgnoredHereToo() {
        assertThat(TestTimeouts.parse("5 s ")).isEmpty();
        assertThat(TestTimeouts.parse(" 5 s")).isEmpty();
        assertThat(total(TimedClass.class, "test", Map.of("junit.jupiter.execution.timeout.mode", "disabled ")))
                .as("JUnit fails a test under an unknown mode there: the bound stays").contains(Duration.ofSeconds(7));
    }
}
