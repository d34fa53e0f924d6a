package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * {@code @Sandboxed(jvm = true)}: the test instance is built in the sandboxed JVM only. Each fixture counts, in a static
 * counter of this (the parent) JVM, the constructors and field initializers that ran here.
 */
class JvmInstanceTest {
    static final AtomicInteger BUILT_IN_PARENT = new AtomicInteger();

    static boolean child() {
        return Boolean.getBoolean("sandboxed.jvm.child");
    }

    /** Counts a constructor or field initializer run in the parent; returns which JVM ran it. */
    static String built() {
        if (!child()) {
            BUILT_IN_PARENT.incrementAndGet();
        }
        return child() ? "child" : "parent";
    }

    @Sandboxed(jvm = true)
    @ExtendWith(PostProcessor.class)
    static class ClassLevel {
        final String initializer = built();
        final String constructor;
        @TempDir
        Path dir;

        ClassLevel() {
            constructor = built();
        }

        @Test
        void builtInTheChild() {
            assertThat(initializer).isEqualTo("child");
            assertThat(constructor).isEqualTo("child");
            assertThat(dir).startsWith(Path.of("/tmp"));
        }
    }

    /** Another extension's post-processor still sees an instance here: a hollow one. */
    static class PostProcessor implements TestInstancePostProcessor {
        @Override
        public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
            assertThat(testInstance).isInstanceOf(context.getRequiredTestClass());
        }
    }

    @Test
    void aClassLevelTestIsBuiltOnlyInItsJvm() {
        assertThat(builtInParent(ClassLevel.class, 1)).as("constructors and initializers run in the parent").isEqualTo(0);
    }

    @Sandboxed(jvm = true)
    static class Outer {
        final String outer = built();

        Outer() {
            built();
        }

        @Test
        void outerTest() {
            assertThat(outer).isEqualTo("child");
        }

        @Nested
        class Inner {
            final String inner = built();

            @Test
            void innerTest() {
                assertThat(outer).isEqualTo("child");
                assertThat(inner).isEqualTo("child");
            }

            @Nested
            class Deeper {
                final String deeper = built();

                @Test
                void deeperTest() {
                    assertThat(List.of(outer, inner, deeper)).containsOnly("child");
                }
            }
        }
    }

    @Test
    void nestedTestsAndTheirEnclosingInstancesAreBuiltOnlyInTheirJvm() {
        assertThat(builtInParent(Outer.class, 3)).as("constructors and initializers run in the parent").isEqualTo(0);
    }

    static class MethodLevel {
        final String initializer = built();

        @Test
        @Sandboxed(jvm = true)
        void inItsJvm() {
            assertThat(initializer).isEqualTo("child");
        }

        @Test
        void here() {
            assertThat(initializer).isEqualTo("parent");
        }
    }

    @Test
    void aMethodLevelTestIsBuiltOnlyInItsJvmAndTheOthersHere() {
        assertThat(builtInParent(MethodLevel.class, 2)).as("the test run here only").isEqualTo(1);
    }

    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassMixed {
        final String initializer = built();

        @Test
        @Sandboxed(jvm = true)
        void inItsJvm() {
            assertThat(initializer).isEqualTo("child");
        }

        @Test
        void here() {
            assertThat(initializer).isEqualTo("parent");
        }
    }

    @Sandboxed(jvm = true)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassAllInJvm {
        final String initializer = built();

        @Test
        void inItsJvm() {
            assertThat(initializer).isEqualTo("child");
        }
    }

    @Sandboxed(jvm = true)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassWithInstanceBeforeAll {
        final String initializer = built();
        String beforeAll;

        @BeforeAll
        void setUpClass() {
            beforeAll = initializer + " set up";
        }

        @Test
        void inItsJvm() {
            assertThat(beforeAll).isEqualTo("child set up");
        }
    }

    @Test
    void aPerClassInstanceIsHollowOnlyWhenAllItsTestsRunInTheirJvmAndNothingHereUsesIt() {
        assertThat(builtInParent(PerClassMixed.class, 2)).as("one real instance for both tests").isEqualTo(1);
        assertThat(builtInParent(PerClassAllInJvm.class, 1)).as("every test runs in a sandboxed JVM").isEqualTo(0);
        assertThat(builtInParent(PerClassWithInstanceBeforeAll.class, 1)).as("its @BeforeAll runs in the sandboxed JVM only")
                .isEqualTo(0);
        assertThat(builtInParent(PerClassWithInstanceBeforeAll.class, 1, Map.of("sandboxed.jvm.classMethods", "both")))
                .as("a non-static @BeforeAll runs here on the instance too").isEqualTo(1);
    }

    static class Recording implements org.junit.jupiter.api.extension.BeforeEachCallback {
        @Override
        public void beforeEach(ExtensionContext context) {
        }
    }

    @Sandboxed(jvm = true)
    static class InstanceExtension {
        @RegisterExtension
        final Recording recording = new Recording();
        final String initializer = built();

        @Test
        void inItsJvm() {
            assertThat(initializer).isEqualTo("child");
        }
    }

    @Test
    void anInstanceWithAnExtensionFieldIsBuiltHereToo() {
        // JUnit reads a non-static @RegisterExtension field from the instance: a hollow one would have none.
        assertThat(builtInParent(InstanceExtension.class, 1)).isEqualTo(1);
    }

    @Sandboxed(jvm = true)
    static class ContainerConstructor {
        ContainerConstructor(Container container) {
            built();
        }

        @Test
        void never() {
        }
    }

    @Test
    void aContainerConstructorParameterIsRefusedBeforeAnyIsMade() {
        BUILT_IN_PARENT.set(0);
        assertThat(Kit.onlyFailure(Kit.run(ContainerConstructor.class))).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessage("invalid jvm: Container constructor parameters: not supported with jvm = true yet; expected a "
                        + "test without containers");
        assertThat(BUILT_IN_PARENT).hasValue(0);
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    @ParameterizedClass
    @ValueSource(ints = {1, 2})
    static class ClassTemplate {
        final String initializer = built();
        final int value;

        ClassTemplate(int value) {
            built();
            this.value = value;
        }

        @Test
        void inItsJvm() {
            assertThat(initializer).isEqualTo("child");
            assertThat(value).isBetween(1, 2);
        }
    }

    @Sandboxed(jvm = true)
    @ParameterizedClass
    @ValueSource(ints = {1})
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class ClassTemplateWithInstanceSetUp {
        final String initializer = built();
        @Parameter
        int value;
        String setUp;

        @BeforeParameterizedClassInvocation
        void setUp() {
            setUp = initializer + " set up " + value;
        }

        @Test
        void inItsJvm() {
            assertThat(setUp).isEqualTo("child set up 1");
        }
    }

    @Test
    void parameterizedClassInstancesAreBuiltOnlyInTheirJvmUnlessUsedHere() {
        assertThat(builtInParent(ClassTemplate.class, 2)).as("constructors and initializers run in the parent").isEqualTo(0);
        assertThat(builtInParent(ClassTemplateWithInstanceSetUp.class, 1)).as("a non-static @BeforeParameterizedClassInvocation runs here on the instance").isEqualTo(1);
    }

    @Sandboxed(jvm = true)
    static class InstanceCondition {
        final boolean enabled = built() != null;

        boolean enabled() {
            return enabled;
        }

        @Test
        @EnabledIf("enabled")
        void inItsJvm() {
            assertThat(enabled).isTrue();
        }
    }

    @Test
    void anInstanceConditionIsEvaluatedHereOnARealInstance() {
        // JUnit calls a non-static @EnabledIf method here on the instance: a hollow one's false would skip the test.
        BUILT_IN_PARENT.set(0);
        EngineExecutionResults results = Kit.run(InstanceCondition.class);
        Kit.succeeded(results, 1);
        results.testEvents().assertStatistics(s -> s.skipped(0));
        assertThat(BUILT_IN_PARENT).hasValue(1);
    }

    @Sandboxed(jvm = true)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class InstanceSources {
        final String initializer = built();
        final List<String> values = List.of("a", "b", "c");
        final List<Integer> numbers = List.of(1, 2);

        Stream<String> values() {
            return values.stream();
        }

        @ParameterizedTest
        @MethodSource("values")
        void fromAMethod(String value) {
            assertThat(initializer).isEqualTo("child");
            assertThat(value).isIn(values);
        }

        @ParameterizedTest
        @FieldSource("numbers")
        void fromAField(int number) {
            assertThat(number).isBetween(1, 2);
        }
    }

    @Test
    void instanceArgumentSourcesAreReadHereFromARealInstance() {
        // Per-class: JUnit reads a non-static @MethodSource/@FieldSource here from the instance to list the invocations;
        // the sandboxed JVM lists them again from its own.
        assertThat(builtInParent(InstanceSources.class, 5)).isEqualTo(1);
    }

    static final AtomicInteger CLOSED_IN_PARENT = new AtomicInteger();

    @Sandboxed(jvm = true)
    static class AutoClosing {
        @AutoClose
        final AutoCloseable resource = () -> {
            if (!child()) {
                CLOSED_IN_PARENT.incrementAndGet();
            }
        };
        final String initializer = built();

        @Test
        void inItsJvm() {
            assertThat(initializer).isEqualTo("child");
        }
    }

    @Test
    void anInstanceWithAutoCloseFieldsIsBuiltHereToo() {
        // JUnit closes @AutoClose fields here: a hollow instance's are null, a warning for each test.
        BUILT_IN_PARENT.set(0);
        CLOSED_IN_PARENT.set(0);
        Kit.succeeded(Kit.run(AutoClosing.class), 1);
        assertThat(BUILT_IN_PARENT).hasValue(1);
        assertThat(CLOSED_IN_PARENT).as("closed here").hasValue(1);
    }

    /** Runs {@code fixture}, whose {@code passing} tests all pass, and says how many instances the parent built. */
    private static int builtInParent(Class<?> fixture, int passing) {
        return builtInParent(fixture, passing, Map.of());
    }

    private static int builtInParent(Class<?> fixture, int passing, Map<String, String> parameters) {
        BUILT_IN_PARENT.set(0);
        Kit.succeeded(Kit.run(fixture, parameters), passing);
        return BUILT_IN_PARENT.get();
    }
}
