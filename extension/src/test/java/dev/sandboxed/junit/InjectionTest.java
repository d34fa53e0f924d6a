package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;

import dev.sandboxed.core.spec.SandboxSpec;

/** Injection in every position, scopes, nesting, inheritance and meta-annotations, through the engine. */
class InjectionTest {
    static final Map<String, String> SEEN = new ConcurrentHashMap<>();
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();

    @BeforeEach
    void reset() {
        SEEN.clear();
        PIDS.clear();
    }

    static void see(String key, Container c) {
        SEEN.put(key, c.id());
        PIDS.add(c.pid());
    }

    @Sandboxed
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class EveryPosition {
        private final Container fromConstructor;
        @Sandboxed
        Container field;
        @Sandboxed
        static Container shared;

        EveryPosition(Container c) {
            this.fromConstructor = c;
        }

        @BeforeAll
        static void beforeAll(Container c) {
            see("beforeAll", c);
        }

        @BeforeEach
        void beforeEach(Container c) {
            see("beforeEach", c);
        }

        @Test
        @Order(1)
        void first(Container c) {
            see("first.param", c);
            see("first.field", field);
            see("first.static", shared);
            see("first.ctor", fromConstructor);
            assertThat(c.exec("true").succeeded()).isTrue();
        }

        @Test
        @Order(2)
        void second(Container c) {
            see("second.param", c);
            see("second.static", shared);
        }
    }

    @Test
    void injectsEverywhereWithTheRightScope() {
        EngineExecutionResults results = Kit.run(EveryPosition.class);
        results.testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        // The static field and the @BeforeAll parameter are the class's container; tests reuse it by default.
        assertThat(SEEN.get("first.static")).isEqualTo(SEEN.get("beforeAll")).isEqualTo(SEEN.get("second.static"));
        assertThat(SEEN.get("first.param")).isEqualTo(SEEN.get("beforeAll"));
        assertThat(SEEN.get("first.field")).isEqualTo(SEEN.get("first.param"));
        assertThat(SEEN.get("first.ctor")).isEqualTo(SEEN.get("first.param"));
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed(hostname = "outer")
    static class PerTest {
        @BeforeEach
        void beforeEach(Container c) {
            see("beforeEach." + c.id(), c);
        }

        @Test
        void one(Container c) {
            see("one", c);
            assertThat(SEEN).containsKey("beforeEach." + c.id());
        }

        @Test
        void two(Container c) {
            see("two", c);
            assertThat(SEEN).containsKey("beforeEach." + c.id());
        }

        @Test
        @Sandboxed(hostname = "inner", env = "FROM_METHOD=1")
        void methodRefinesClass(Container c) {
            assertThat(c.exec("hostname").stdout().strip()).isEqualTo("inner");
            assertThat(c.exec("sh", "-c", "echo $FROM_CLASS$FROM_METHOD").stdout().strip()).isEqualTo("1");
        }

        @Test
        void twoNamedContainers(@Sandboxed(name = "app", hostname = "app") Container app,
                                @Sandboxed(name = "client", hostname = "client") Container client,
                                @Sandboxed(name = "app") Container appAgain) {
            assertThat(app.id()).isNotEqualTo(client.id()).isEqualTo(appAgain.id());
            assertThat(app.exec("hostname").stdout().strip()).isEqualTo("app");
            assertThat(client.exec("hostname").stdout().strip()).isEqualTo("client");
            PIDS.add(app.pid());
            PIDS.add(client.pid());
        }

        @Nested
        class Inner {
            @Test
            void inheritsEnclosingSettings(Container c) {
                assertThat(c.exec("hostname").stdout().strip()).isEqualTo("outer");
                PIDS.add(c.pid());
            }
        }
    }

    @Test
    void perTestContainersAreFreshAndRefined() {
        Kit.run(PerTest.class).testEvents().assertStatistics(s -> s.succeeded(5).failed(0));
        assertThat(SEEN.get("one")).isNotEqualTo(SEEN.get("two"));
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed(hostname = "base", env = "FROM_BASE=b")
    abstract static class Base {
    }

    @Sandboxed(env = "FROM_SUB=s")
    static class Sub extends Base {
        @Test
        void seesBothLevels(Container c) {
            assertThat(c.exec("hostname").stdout().strip()).isEqualTo("base");
            assertThat(c.exec("sh", "-c", "echo $FROM_BASE$FROM_SUB").stdout().strip()).isEqualTo("bs");
            PIDS.add(c.pid());
        }
    }

    @Test
    void superclassSettingsAreInherited() {
        Kit.run(Sub.class).testEvents().assertStatistics(s -> s.succeeded(1).failed(0));
        Kit.assertNothingLeft(PIDS);
    }

    @Target({ElementType.TYPE, ElementType.METHOD})
    @Retention(RetentionPolicy.RUNTIME)
    @Sandboxed(hostname = "meta", tmpfs = @Tmpfs(target = "/scratch", size = "1m"))
    @interface MySandbox {
    }

    @MySandbox
    @Bind(source = "src/test/java", target = "/src")
    static class WithMeta {
        @Test
        void metaAnnotationAndRepeatableMounts(Container c) {
            assertThat(c.exec("hostname").stdout().strip()).isEqualTo("meta");
            assertThat(c.exec("sh", "-c", "echo hi > /scratch/x && cat /scratch/x").stdout()).isEqualTo("hi\n");
            assertThat(c.exec("test", "-f", "/src/dev/sandboxed/junit/InjectionTest.java").succeeded()).isTrue();
            assertThat(c.exec("sh", "-c", "touch /src/x").succeeded()).as("read-only bind").isFalse();
            PIDS.add(c.pid());
        }
    }

    @Test
    void metaAnnotationsAndMountAnnotationsWork() {
        Kit.run(WithMeta.class).testEvents().assertStatistics(s -> s.succeeded(1).failed(0));
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed(scope = Scope.CLASS)
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class ClassScoped {
        @Sandboxed
        Container field;

        @Test
        void a(Container c) {
            see("a", c);
            see("a.field", field);
        }

        @Test
        void b(Container c) {
            see("b", c);
        }
    }

    @Test
    void classScopeSharesOneContainer() {
        Kit.run(ClassScoped.class).testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        assertThat(SEEN.get("a")).isEqualTo(SEEN.get("b")).isEqualTo(SEEN.get("a.field"));
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed(hostname = "shared")
    static class SharedButRefined {
        @Sandboxed
        static Container shared;

        @Test
        void reusesTheSharedOne(Container c) {
            assertThat(c.id()).isEqualTo(shared.id());
        }

        @Test
        @Sandboxed(hostname = "own")
        void methodSettingsGetAnOwnContainer(Container c) {
            assertThat(c.id()).isNotEqualTo(shared.id());
            assertThat(c.exec("hostname").stdout().strip()).isEqualTo("own");
            PIDS.add(c.pid());
        }

        @Test
        void parameterSettingsGetAnOwnContainer(@Sandboxed(env = "X=1") Container c, @Sandboxed(name = "default") Container d) {
            assertThat(c.id()).isNotEqualTo(shared.id());
            assertThat(d.id()).isEqualTo(shared.id());
            assertThat(c.exec("hostname").stdout().strip()).isEqualTo("shared");
        }
    }

    @Test
    void aSharedContainerIsReusedOnlyWhenTheTestAsksForNothingElse() {
        Kit.run(SharedButRefined.class).testEvents().assertStatistics(s -> s.succeeded(3).failed(0));
        Kit.assertNothingLeft(PIDS);
    }

    /** Marks the spec it customizes. */
    static final class Mark implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.env("MARK", "set");
        }
    }

    /** Notes each container made, by its test. */
    static final class Made implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            SEEN.merge("made." + context.getRequiredTestMethod().getName(), "x", String::concat);
        }
    }

    /** Two parameters of one name (here the default) are one container: declared differently, a settings error. */
    @Sandboxed(customizers = Made.class)
    static class OneNameTwice {
        @Test
        void aCustomizerMore(@Sandboxed(env = "A=1") Container a,
                             @Sandboxed(env = "A=1", customizers = Mark.class) Container b) {
            SEEN.put("ran.aCustomizerMore", b.id());
        }

        @Test
        void anotherHostname(@Sandboxed(hostname = "a") Container a, @Sandboxed(hostname = "b") Container b) {
            SEEN.put("ran.anotherHostname", b.id());
        }

        @Test
        void plainThenDeclared(Container a, @Sandboxed(env = "A=1") Container b) {
            SEEN.put("ran.plainThenDeclared", b.id());
        }

        @Test
        void namedTheyAreTwo(@Sandboxed(env = "A=1") Container a,
                             @Sandboxed(name = "b", env = "A=1", customizers = Mark.class) Container b) {
            assertThat(a.id()).isNotEqualTo(b.id());
            assertThat(a.sandbox().spec().environment()).doesNotContainKey("MARK");
            assertThat(b.sandbox().spec().environment()).containsEntry("MARK", "set");
            assertThat(b.exec("sh", "-c", "echo $A$MARK").stdout().strip()).isEqualTo("1set");
            PIDS.add(a.pid());
            PIDS.add(b.pid());
        }

        @Test
        void theSameDeclarationIsOneContainer(@Sandboxed(env = "A=1") Container a, @Sandboxed(env = "A=1") Container b,
                                              @Sandboxed(name = "default") Container reference) {
            assertThat(b.id()).isEqualTo(a.id()).isEqualTo(reference.id());
            PIDS.add(a.pid());
        }
    }

    /** The constructor's container is made before the test's parameters are seen: the registry refuses then. */
    static class ConstructorAndParameterOfOneName {
        ConstructorAndParameterOfOneName(@Sandboxed(hostname = "ctor") Container c) {
            PIDS.add(c.pid());
        }

        @Test
        void otherSettings(@Sandboxed(hostname = "param") Container c) {
            SEEN.put("ran.otherSettings", c.id());
        }
    }

    @Test
    void aSecondContainerOfOneNameMustBeDeclaredAlike() {
        EngineExecutionResults results = Kit.run(OneNameTwice.class);
        results.testEvents().assertStatistics(s -> s.succeeded(2).failed(3));
        List<Throwable> failures = results.testEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
        assertThat(failures).allSatisfy(t -> assertThat(t).isInstanceOfSatisfying(SandboxedConfigurationException.class,
                e -> assertThat(e.field()).isEqualTo("name")).hasMessageContaining("'default' already names a container"));
        assertThat(SEEN.keySet()).noneMatch(k -> k.startsWith("ran."));
        // Found before anything of the test starts; the good ones made two containers and one.
        assertThat(SEEN).doesNotContainKeys("made.aCustomizerMore", "made.anotherHostname", "made.plainThenDeclared")
                .containsEntry("made.namedTheyAreTwo", "xx").containsEntry("made.theSameDeclarationIsOneContainer", "x");
        Throwable late = Kit.onlyFailure(Kit.run(ConstructorAndParameterOfOneName.class));
        assertThat(late).isInstanceOfSatisfying(SandboxedConfigurationException.class, e -> assertThat(e.field()).isEqualTo("name"))
                .hasMessageContaining("'default' already names a container");
        assertThat(SEEN).doesNotContainKey("ran.otherSettings");
        Kit.assertNothingLeft(PIDS);
    }

    static class BadField {
        @Sandboxed
        String notAContainer;

        @Test
        void test() {
        }
    }

    @Test
    void wrongFieldTypeIsAConfigurationError() {
        List<Throwable> failures = Kit.run(BadField.class).testEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .toList();
        assertThat(failures).singleElement().satisfies(t -> assertThat(t).hasMessageContaining("must be of type"));
    }
}
