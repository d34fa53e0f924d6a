package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClasspathResourceSource;
import org.junit.platform.engine.support.descriptor.FilePosition;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.Event;

/**
 * {@code @Sandboxed(jvm = true)} with test templates and {@code @Nested} classes: the sandboxed JVM selects the test by
 * its unique id, so each invocation runs alone in its own JVM, and a nested test's enclosing instances are made there.
 */
class JvmTemplatesTest {
    /** Differs in every JVM: which JVM a fixture ran in. */
    static final String JVM = UUID.randomUUID().toString();
    static final AtomicInteger PARENT_LIFECYCLE = new AtomicInteger();

    static boolean child() {
        return Boolean.getBoolean("sandboxed.jvm.child");
    }

    static void countInParent() {
        if (!child()) {
            PARENT_LIFECYCLE.incrementAndGet();
        }
    }

    @Sandboxed(jvm = true)
    static class Parameterized {
        @ParameterizedTest
        @ValueSource(ints = {1, 2, 3})
        void each(int value, TestReporter reporter) {
            reporter.publishEntry(Map.of("value", Integer.toString(value), "jvm", JVM, "child", Boolean.toString(child())));
            assertEquals(1, value % 2, "odd");
        }
    }

    @Test
    void eachParameterizedInvocationRunsAloneInItsOwnJvm() {
        EngineExecutionResults results = Kit.run(Parameterized.class);
        results.testEvents().assertStatistics(s -> s.started(3).succeeded(2).failed(1));
        assertThat(results.testEvents().started().stream().map(e -> e.getTestDescriptor().getDisplayName()))
                .containsExactly("[1] 1", "[2] 2", "[3] 3");
        Event failed = results.testEvents().failed().stream().findFirst().orElseThrow();
        assertThat(failed.getTestDescriptor().getUniqueId().getLastSegment().getValue()).isEqualTo("#2");
        assertThat(failed.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .hasMessageStartingWith("odd ==> expected: <1> but was: <0>");
        List<Map<String, String>> runs = entries(results, "value");
        assertThat(runs).extracting(e -> e.get("value")).containsExactly("1", "2", "3");
        assertThat(runs).allSatisfy(e -> assertThat(e).containsEntry("child", "true").doesNotContainEntry("jvm", JVM));
        assertThat(runs).extracting(e -> e.get("jvm")).doesNotHaveDuplicates();
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    static class Repeated {
        @RepeatedTest(2)
        void again(RepetitionInfo info, TestReporter reporter) {
            reporter.publishEntry(Map.of("repetition", Integer.toString(info.getCurrentRepetition()), "jvm", JVM,
                    "child", Boolean.toString(child())));
        }
    }

    @Test
    void eachRepetitionRunsInItsOwnJvm() {
        EngineExecutionResults results = Kit.run(Repeated.class);
        Kit.succeeded(results, 2);
        assertThat(results.testEvents().started().stream().map(e -> e.getTestDescriptor().getDisplayName()))
                .containsExactly("repetition 1 of 2", "repetition 2 of 2");
        List<Map<String, String>> runs = entries(results, "repetition");
        assertThat(runs).extracting(e -> e.get("repetition")).containsExactly("1", "2");
        assertThat(runs).allSatisfy(e -> assertThat(e).containsEntry("child", "true").doesNotContainEntry("jvm", JVM));
        assertThat(runs).extracting(e -> e.get("jvm")).doesNotHaveDuplicates();
    }

    @Sandboxed(jvm = true)
    static class Outer {
        String outerSetUp;

        @BeforeEach
        void setUpOuter() {
            countInParent();
            outerSetUp = JVM;
        }

        @Nested
        class Inner {
            String innerSetUp;

            @BeforeEach
            void setUpInner() {
                countInParent();
                innerSetUp = JVM;
            }

            @Test
            void inner(TestReporter reporter) {
                reporter.publishEntry(Map.of("nested", "inner", "jvm", JVM, "child", Boolean.toString(child())));
                assertThat(outerSetUp).as("the outer @BeforeEach ran in this JVM").isEqualTo(JVM);
                assertThat(innerSetUp).as("the inner @BeforeEach ran in this JVM").isEqualTo(JVM);
            }

            @Nested
            class Deeper {
                @Test
                void fails() {
                    assertThat(outerSetUp).isEqualTo(JVM);
                    throw new IllegalStateException("from the deeper class in " + (child() ? "the child" : "the parent"));
                }
            }
        }
    }

    @Test
    void nestedTestsRunInTheirOwnJvmWithTheOuterSetUp() {
        PARENT_LIFECYCLE.set(0);
        EngineExecutionResults results = Kit.run(Outer.class);
        results.testEvents().assertStatistics(s -> s.started(2).succeeded(1).failed(1));
        assertThat(PARENT_LIFECYCLE).as("@BeforeEach methods run in the parent").hasValue(0);
        assertThat(entries(results, "nested")).singleElement()
                .satisfies(e -> assertThat(e).containsEntry("child", "true").doesNotContainEntry("jvm", JVM));
        Event failed = results.testEvents().failed().stream().findFirst().orElseThrow();
        assertThat(failed.getTestDescriptor().getDisplayName()).isEqualTo("fails()");
        assertThat(failed.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .isExactlyInstanceOf(IllegalStateException.class).hasMessage("from the deeper class in the child");
    }

    @Sandboxed(jvm = true)
    static class Random {
        static Stream<Integer> random() {
            return Stream.of(ThreadLocalRandom.current().nextInt(1_000_000, 2_000_000));
        }

        @ParameterizedTest
        @MethodSource("random")
        void each(int value) {
        }
    }

    @Sandboxed(jvm = true)
    static class Fewer {
        static Stream<Integer> fewer() {
            return child() ? Stream.of(1) : Stream.of(1, 2);
        }

        @ParameterizedTest
        @MethodSource("fewer")
        void each(int value) {
        }
    }

    @Test
    void sourcesGivingOtherInvocationsInTheSandboxedJvmFailNamingIt() {
        assertThat(Kit.onlyFailure(Kit.run(Random.class))).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the sandboxed JVM's test-template-invocation #1 is '[1] ")
                .hasMessageContaining("but the test JVM's is '[1] ")
                .hasMessageEndingWith("': argument sources and test factories of jvm = true tests must give the same "
                        + "tests in both JVMs; not deterministic ones (random values, the time, the host's state) are refused");
        EngineExecutionResults fewer = Kit.run(Fewer.class);
        fewer.testEvents().assertStatistics(s -> s.succeeded(1).failed(1));
        assertThat(Kit.onlyFailure(fewer)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("no test [engine:junit-jupiter]/[class:" + Fewer.class.getName() + "]/[test-template:each(int)]"
                        + "/[test-template-invocation:#2] was found in the sandboxed JVM: its tests differ from the test "
                        + "JVM's (an argument source or test factory that is not deterministic?)");
    }

    @Sandboxed(jvm = true)
    static class WithBeforeAll {
        static String beforeAllJvm;

        @BeforeAll
        static void beforeAll() {
            countInParent();
            beforeAllJvm = JVM;
        }

        @Test
        void first(TestReporter reporter) {
            assertThat(beforeAllJvm).as("@BeforeAll ran in this JVM").isEqualTo(JVM);
            reporter.publishEntry("test", JVM);
        }

        @Test
        void second(TestReporter reporter) {
            assertThat(beforeAllJvm).as("@BeforeAll ran in this JVM").isEqualTo(JVM);
            reporter.publishEntry("test", JVM);
        }

        @AfterAll
        static void afterAll(TestReporter reporter) {
            countInParent();
            reporter.publishEntry("afterAll", JVM);
        }
    }

    @Test
    void beforeAllAndAfterAllRunInEachSandboxedJvmOnly() {
        PARENT_LIFECYCLE.set(0);
        EngineExecutionResults results = Kit.run(WithBeforeAll.class);
        Kit.succeeded(results, 2);
        assertThat(PARENT_LIFECYCLE).as("@BeforeAll and @AfterAll in the parent").hasValue(0);
        List<String> tests = entries(results, "test").stream().map(e -> e.get("test")).toList();
        List<String> afterAll = entries(results, "afterAll").stream().map(e -> e.get("afterAll")).toList();
        assertThat(tests).hasSize(2).doesNotHaveDuplicates().doesNotContain(JVM);
        assertThat(afterAll).as("@AfterAll in each sandboxed JVM").containsExactly(tests.get(0), tests.get(1));
    }

    @Test
    void beforeAllAndAfterAllRunHereTooWhenAskedTo() {
        PARENT_LIFECYCLE.set(0);
        EngineExecutionResults results = Kit.run(WithBeforeAll.class, Map.of("sandboxed.jvm.classMethods", "both"));
        Kit.succeeded(results, 2);
        assertThat(PARENT_LIFECYCLE).as("@BeforeAll and @AfterAll once each in the parent").hasValue(2);
        List<String> tests = entries(results, "test").stream().map(e -> e.get("test")).toList();
        List<String> afterAll = entries(results, "afterAll").stream().map(e -> e.get("afterAll")).toList();
        assertThat(afterAll).as("@AfterAll in each sandboxed JVM, then here").containsExactly(tests.get(0), tests.get(1), JVM);
        assertThat(Kit.onlyFailure(Kit.run(WithBeforeAll.class, Map.of("sandboxed.jvm.classMethods", "parent"))))
                .isInstanceOf(SandboxedConfigurationException.class)
                .hasMessage("invalid sandboxed.jvm.classMethods: 'parent' is not a place; expected child (@BeforeAll and "
                        + "@AfterAll only in each sandboxed JVM) or both (also in the test JVM)");
    }

    @Sandboxed(jvm = true)
    static class Factory {
        String setUp;

        @BeforeEach
        void setUp() {
            countInParent();
            setUp = JVM;
        }

        @TestFactory
        Stream<DynamicNode> tests() {
            countInParent();
            return Stream.of(dynamicTest("one", URI.create("classpath:/jvmtemplates/one.txt?line=7"), () -> record("one")),
                    dynamicContainer("group", Stream.of(
                    dynamicTest("two", () -> record("two")),
                    dynamicTest("fails", () -> {
                        throw new IllegalStateException("fails in " + (child() ? "the child" : "the parent"));
                    }))));
        }

        private void record(String name) {
            assertThat(setUp).as("@BeforeEach ran in this JVM").isEqualTo(JVM);
            ran.add(Map.of("dynamic", name, "jvm", JVM, "child", Boolean.toString(child())));
        }

        /** What ran, published by @AfterEach (after the factory's dynamic tests): an executable has no TestReporter. */
        final List<Map<String, String>> ran = new java.util.ArrayList<>();

        @AfterEach
        void publish(TestReporter reporter) {
            ran.forEach(reporter::publishEntry);
        }
    }

    @Test
    void eachDynamicTestRunsInItsOwnJvmAndTheFactoryNeverHere() {
        PARENT_LIFECYCLE.set(0);
        EngineExecutionResults results = Kit.run(Factory.class);
        results.testEvents().assertStatistics(s -> s.started(3).succeeded(2).failed(1));
        assertThat(PARENT_LIFECYCLE).as("the factory or @BeforeEach ran in the parent").hasValue(0);
        assertThat(results.testEvents().started().stream().map(e -> e.getTestDescriptor().getDisplayName()))
                .containsExactly("one", "two", "fails");
        assertThat(results.containerEvents().started().stream().map(e -> e.getTestDescriptor().getDisplayName()))
                .contains("group");
        assertThat(results.testEvents().started().stream().findFirst().orElseThrow().getTestDescriptor().getSource())
                .hasValue(ClasspathResourceSource.from("jvmtemplates/one.txt", FilePosition.from(7)));
        Event failed = results.testEvents().failed().stream().findFirst().orElseThrow();
        assertThat(failed.getTestDescriptor().getUniqueId().toString()).endsWith("/[dynamic-container:#2]/[dynamic-test:#2]");
        assertThat(failed.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .isExactlyInstanceOf(IllegalStateException.class).hasMessage("fails in the child");
        List<Map<String, String>> runs = entries(results, "dynamic");
        assertThat(runs).extracting(e -> e.get("dynamic")).containsExactly("one", "two");
        assertThat(runs).allSatisfy(e -> assertThat(e).containsEntry("child", "true").doesNotContainEntry("jvm", JVM));
        assertThat(runs).extracting(e -> e.get("jvm")).doesNotHaveDuplicates();
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    static class FactoryFailing {
        @TestFactory
        Stream<DynamicNode> tests() {
            throw new IllegalArgumentException("no tests " + (child() ? "in the child" : "in the parent"));
        }
    }

    @Sandboxed(jvm = true)
    static class FactoryRandom {
        @TestFactory
        Stream<DynamicNode> tests() {
            return Stream.of(dynamicTest("random " + ThreadLocalRandom.current().nextInt(1_000_000, 2_000_000), () -> { }));
        }
    }

    @Test
    void factoryFailuresAndNonDeterministicFactoriesFailNamingIt() {
        assertThat(Kit.onlyFailure(Kit.run(FactoryFailing.class))).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("no tests in the child");
        assertThat(Kit.onlyFailure(Kit.run(FactoryRandom.class))).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the sandboxed JVM's dynamic-test #1 is 'random ")
                .hasMessageContaining("' but the test JVM's is 'random ");
    }

    private static List<Map<String, String>> entries(EngineExecutionResults results, String key) {
        return results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs()).filter(e -> e.containsKey(key)).toList();
    }

    @Sandboxed(jvm = true)
    static class LongArguments {
        @ParameterizedTest
        @ValueSource(strings = {"an argument longer than the display name may show", "another long argument, cut too"})
        void takes(String argument) {
            assertThat(argument).contains("argument");
        }
    }

    @Test
    void aDisplayNameLengthSetForTheRunReachesEachSandboxedJvm() {
        // The child finds its invocation by display name: cut there as here, or no invocation would match.
        Kit.succeeded(Kit.run(LongArguments.class, Map.of("junit.jupiter.params.displayname.argument.maxlength", "8")), 2);
    }

    @Sandboxed(jvm = true)
    @ParameterizedClass
    @ValueSource(ints = {1, 2})
    static class ClassTemplate {
        @Parameter
        int value;

        @Test
        void first(TestReporter reporter) {
            reporter.publishEntry(Map.of("classValue", Integer.toString(value), "jvm", JVM, "child", Boolean.toString(child())));
        }

        @Test
        void second() {
            assertEquals(1, value, "the first invocation's value");
        }
    }

    @Test
    void eachTestOfAParameterizedClassInvocationRunsInItsOwnJvm() {
        EngineExecutionResults results = Kit.run(ClassTemplate.class);
        results.testEvents().assertStatistics(s -> s.started(4).succeeded(3).failed(1));
        // JUnit 6 writes "value = 1", 5 "value=1".
        assertThat(results.containerEvents().started().stream().map(e -> e.getTestDescriptor().getDisplayName().replace(" = ", "=")))
                .contains("[1] value=1", "[2] value=2");
        Event failed = results.testEvents().failed().stream().findFirst().orElseThrow();
        assertThat(failed.getTestDescriptor().getUniqueId().toString()).endsWith("/[class-template-invocation:#2]/[method:second()]");
        assertThat(failed.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .hasMessageStartingWith("the first invocation's value ==> expected: <1> but was: <2>");
        List<Map<String, String>> runs = entries(results, "classValue");
        assertThat(runs).extracting(e -> e.get("classValue")).containsExactly("1", "2");
        assertThat(runs).allSatisfy(e -> assertThat(e).containsEntry("child", "true").doesNotContainEntry("jvm", JVM));
        assertThat(runs).extracting(e -> e.get("jvm")).doesNotHaveDuplicates();
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    @ParameterizedClass
    @MethodSource("random")
    static class ClassTemplateRandom {
        static Stream<Integer> random() {
            return Stream.of(ThreadLocalRandom.current().nextInt(1_000_000, 2_000_000));
        }

        @Parameter
        int value;

        @Test
        void test() {
        }
    }

    @Test
    void parameterizedClassSourcesGivingOtherInvocationsFailNamingIt() {
        assertThat(Kit.onlyFailure(Kit.run(ClassTemplateRandom.class))).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the sandboxed JVM's class-template-invocation #1 is '[1] value")
                .hasMessageContaining("but the test JVM's is '[1] value");
    }

    /** No toString of its own: its display name is {@code Object.toString}'s, with a hash that differs in every JVM. */
    static final class Opaque {
        final int n;

        Opaque(int n) {
            this.n = n;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Opaque o && o.n == n;
        }

        @Override
        public int hashCode() {
            return JVM.hashCode() * 31 + n; // as an identity hash: another in each JVM
        }
    }

    @Sandboxed(jvm = true)
    static class IdentityNames {
        static Stream<Object> objects() {
            return Stream.of(new Opaque(1), new Opaque(2));
        }

        @ParameterizedTest
        @MethodSource("objects")
        void each(Opaque opaque, TestReporter reporter) {
            reporter.publishEntry(Map.of("opaque", Integer.toString(opaque.n), "child", Boolean.toString(child())));
        }
    }

    @Sandboxed(jvm = true)
    static class LooksLikeIdentity {
        static Stream<String> addresses() {
            return Stream.of("user@" + Integer.toHexString(JVM.hashCode()));
        }

        @ParameterizedTest
        @MethodSource("addresses")
        void each(String address) {
        }
    }

    @Test
    void identityHashesInDisplayNamesAreNotTakenForOtherInvocations() {
        EngineExecutionResults results = Kit.run(IdentityNames.class);
        Kit.succeeded(results, 2);
        assertThat(results.testEvents().started().stream().map(e -> e.getTestDescriptor().getDisplayName()))
                .allSatisfy(name -> assertThat(name).contains(Opaque.class.getName() + "@"));
        assertThat(entries(results, "opaque")).extracting(e -> e.get("opaque") + " " + e.get("child"))
                .containsExactly("1 true", "2 true");
        // Text in that form whose part before the @ is no class is the argument's own: it must be equal.
        assertThat(Kit.onlyFailure(Kit.run(LooksLikeIdentity.class))).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the sandboxed JVM's test-template-invocation #1 is '[1] ") // JUnit 6 quotes strings
                .hasMessageContaining("user@");
    }
}
