package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;

import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;

/** Customizers reach what no attribute expresses, in the running sandbox; outer levels first, after the settings. */
class CustomizerTest {
    static final List<String> ORDER = new CopyOnWriteArrayList<>();
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();
    static final List<Integer> OPEN = new CopyOnWriteArrayList<>();

    @BeforeEach
    void reset() {
        ORDER.clear();
        PIDS.clear();
        OPEN.clear();
    }

    private static List<Throwable> failures(EngineExecutionResults results) {
        return results.allEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
    }

    private static String sh(Container c, String script) {
        PIDS.add(c.pid());
        return c.execShell(script).stdout().strip();
    }

    /** A customizer class made from a lambda: annotations need a class, which a lambda is not. */
    abstract static class Customize implements SandboxCustomizer {
        private final SandboxCustomizer action;

        Customize(SandboxCustomizer action) {
            this.action = action;
        }

        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) throws Exception {
            action.customize(spec, context);
        }
    }

    static class OnlyChownAndKill extends Customize {
        OnlyChownAndKill() {
            super((spec, context) -> spec.capabilities(EnumSet.of(Capability.CHOWN, Capability.KILL)));
        }
    }

    /** Neither the class nor its constructor is public. */
    private static final class FewFiles implements SandboxCustomizer {
        private FewFiles() {
        }

        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.rlimit(Rlimit.NOFILE, 123, 456);
        }
    }

    static class SingleIdMapping extends Customize {
        SingleIdMapping() {
            super((spec, context) -> spec.idMapping(IdMappingMode.SINGLE));
        }
    }

    static class NestedUserNamespaces extends Customize {
        NestedUserNamespaces() {
            super((spec, context) -> spec.allowNestedUserNamespaces(true));
        }
    }

    static class HostUts extends Customize {
        HostUts() {
            super((spec, context) -> spec.withoutNamespace(Namespace.UTS));
        }
    }

    static class NoDenialReports extends Customize {
        NoDenialReports() {
            super((spec, context) -> spec.reportSeccompDenials(false));
        }
    }

    static class TestNameInEnv extends Customize {
        TestNameInEnv() {
            super((spec, context) -> spec.env("TEST_METHOD", context.getRequiredTestMethod().getName()));
        }
    }

    static class Features {
        @Test
        void capabilities(@Sandboxed(customizers = OnlyChownAndKill.class) Container c) {
            // CHOWN is bit 0, KILL bit 5.
            assertThat(sh(c, "grep CapEff /proc/self/status")).isEqualTo("CapEff:\t0000000000000021");
        }

        @Test
        void rlimits(@Sandboxed(customizers = FewFiles.class) Container c) {
            assertThat(sh(c, "ulimit -Sn; ulimit -Hn")).isEqualTo("123\n456");
        }

        @Test
        void idMapping(@Sandboxed(customizers = SingleIdMapping.class) Container c) {
            assertThat(c.spec().idMapping()).isEqualTo(IdMappingMode.SINGLE);
            // Rootless, SINGLE maps only the caller; real root always maps 0..65535 to itself.
            String expected = isRoot() ? "0 0 65536" : "0 " + uid() + " 1";
            assertThat(sh(c, "cat /proc/self/uid_map").replaceAll("\\s+", " ")).isEqualTo(expected);
        }

        @Test
        void nestedUserNamespaces(@Sandboxed(customizers = NestedUserNamespaces.class) Container nested,
                                  @Sandboxed(name = "plain") Container plain) {
            assertThat(nested.exec("unshare", "-U", "true").exitCode()).isZero();
            assertThat(plain.exec("unshare", "-U", "true").exitCode()).isNotZero();
            PIDS.add(nested.pid());
            PIDS.add(plain.pid());
        }

        @Test
        void namespaces(@Sandboxed(hostname = "ignored", customizers = HostUts.class) Container c) throws Exception {
            assertThat(c.spec().has(Namespace.UTS)).isFalse();
            assertThat(sh(c, "hostname")).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip());
        }

        @Test
        void seccompDenialReports(@Sandboxed(customizers = NoDenialReports.class) Container quiet,
                                  @Sandboxed(name = "reporting") Container reporting) {
            String refused = "python3 -c \"import ctypes; ctypes.CDLL(None).syscall(250, 0, 0, 0, 0, 0)\"";
            quiet.execShell(refused);
            reporting.execShell(refused);
            assertThat(reporting.seccompDenials()).containsKey("keyctl");
            assertThat(quiet.seccompDenials()).isEmpty();
            PIDS.add(quiet.pid());
            PIDS.add(reporting.pid());
        }

        @Test
        @Sandboxed(customizers = TestNameInEnv.class)
        void seesItsTest(Container c) {
            assertThat(sh(c, "echo $TEST_METHOD")).isEqualTo("seesItsTest");
        }
    }

    @Test
    void whatACustomizerSetsReachesTheRunningSandbox() {
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"), "keyctl is syscall 250 on x86_64 only");
        EngineExecutionResults results = Kit.run(Features.class);
        assertThat(failures(results)).isEmpty();
        results.testEvents().assertStatistics(s -> s.succeeded(7));
        Kit.assertNothingLeft(PIDS);
    }

    /** Adds to the limits the attributes set, rather than replacing them. */
    static class MemoryAndCpuWeight extends Customize {
        MemoryAndCpuWeight() {
            super((spec, context) -> spec.limits(spec.build().limits().withCpuWeight(50)));
        }
    }

    @Sandboxed(memory = "64m", customizers = MemoryAndCpuWeight.class)
    static class Limits {
        @Test
        void limits(Container c) throws Exception {
            PIDS.add(c.pid());
            assertThat(c.spec().limits().memoryMax()).hasValue(64L << 20);
            assertThat(c.spec().limits().cpuWeight()).hasValue(50);
            List<String> cpuFiles = new ArrayList<>();
            for (Path dir : c.sandbox().cgroupDirectories()) {
                for (String file : List.of("cpu.weight", "cpu.shares")) {
                    if (Files.exists(dir.resolve(file))) {
                        cpuFiles.add(file + "=" + Files.readString(dir.resolve(file)).strip());
                    }
                }
            }
            // v2 writes the weight itself; v1 derives shares from it: 2 + (weight - 1) * 262142 / 9999.
            assertThat(cpuFiles).singleElement().satisfies(f -> assertThat(f).isIn("cpu.weight=50", "cpu.shares=1286"));
        }
    }

    @Test
    void cgroupLimitsBeyondTheAttributesReachTheCgroup() {
        Assumptions.assumeTrue(SandboxRuntime.shared().limitsUnsupported(ResourceLimits.NONE.withMemoryMax(64L << 20)
                .withCpuWeight(50)).isEmpty(), "no cgroup this user may write");
        EngineExecutionResults results = Kit.run(Limits.class);
        assertThat(failures(results)).isEmpty();
        Kit.assertNothingLeft(PIDS);
    }

    /** Records where it was declared and sets the hostname to that. */
    abstract static class Recording implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            String level = getClass().getSimpleName();
            ORDER.add(level);
            spec.hostname(level.toLowerCase());
        }
    }

    static class FromConfig extends Recording {
    }

    static class Outer extends Recording {
    }

    static class Base extends Recording {
    }

    static class Klass extends Recording {
    }

    static class Method extends Recording {
    }

    static class Parameter extends Recording {
    }

    @Sandboxed(customizers = Outer.class)
    static class OuterFixture {
        @Sandboxed(customizers = Base.class)
        abstract static class BaseFixture {
        }

        @Nested
        @Sandboxed(hostname = "from-string", customizers = Klass.class)
        class Inner extends BaseFixture {
            @Test
            @Sandboxed(customizers = Method.class)
            void test(@Sandboxed(customizers = Parameter.class) Container c) {
                assertThat(sh(c, "hostname")).isEqualTo("parameter");
            }
        }
    }

    @Test
    void outerLevelsRunFirstAndAfterTheSettings() {
        EngineExecutionResults results = Kit.run(OuterFixture.class,
                Map.of(ExtensionConfig.CUSTOMIZERS, FromConfig.class.getName()));
        assertThat(failures(results)).isEmpty();
        results.testEvents().assertStatistics(s -> s.succeeded(1));
        assertThat(ORDER).containsExactly("FromConfig", "Outer", "Base", "Klass", "Method", "Parameter");
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed(hostname = "annotated")
    static class Programmatic {
        @RegisterExtension
        static SandboxedExtension sandboxes = SandboxedExtension.builder()
                .customize(spec -> spec.rlimit(Rlimit.NOFILE, 77, 77))
                .customize((spec, context) -> spec.env("CLASS", context.getRequiredTestClass().getSimpleName()))
                .build();

        @Sandboxed
        Container field;

        private final Container fromConstructor;

        Programmatic(Container fromConstructor) {
            this.fromConstructor = fromConstructor;
        }

        @Test
        void registeredCustomizersApply(Container c) {
            OPEN.add(SandboxRuntime.shared().openSandboxes().size());
            assertThat(c.id()).isEqualTo(field.id()).isEqualTo(fromConstructor.id());
            assertThat(sh(c, "ulimit -n; hostname; echo $CLASS")).isEqualTo("77\nannotated\nProgrammatic");
        }

        @Nested
        class Inside {
            @Test
            void nestedClassesToo(@Sandboxed(name = "few", customizers = FewFiles.class) Container c) {
                OPEN.add(SandboxRuntime.shared().openSandboxes().size());
                assertThat(sh(c, "ulimit -n; echo $CLASS")).isEqualTo("123\nInside");
            }
        }
    }

    @Test
    void aRegisteredExtensionAppliesItsCustomizersAndMakesEachContainerOnce() {
        EngineExecutionResults results = Kit.run(Programmatic.class);
        assertThat(failures(results)).isEmpty();
        results.testEvents().assertStatistics(s -> s.succeeded(2));
        // The nested test has the enclosing instance's container too.
        assertThat(OPEN).containsExactlyInAnyOrder(1, 2);
        Kit.assertNothingLeft(PIDS);
    }

    static class NotStatic {
        @RegisterExtension
        SandboxedExtension sandboxes = SandboxedExtension.builder().customize(spec -> spec.hostname("x")).build();

        @Test
        void test(Container c) {
        }
    }

    @Test
    void aRegisteredExtensionMustBeStatic() {
        assertThat(failures(Kit.run(NotStatic.class))).singleElement().satisfies(t -> assertThat(t)
                .isInstanceOf(SandboxedConfigurationException.class)
                .hasMessageContaining("@RegisterExtension field NotStatic.sandboxes").hasMessageContaining("static"));
    }

    private static boolean isRoot() {
        return "0".equals(uid());
    }

    private static String uid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .findFirst().orElseThrow().split("\\s+")[1];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
