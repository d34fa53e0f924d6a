package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Every bad value, whether an annotation attribute or a configuration parameter, and wherever it is declared (class,
 * method, parameter, constructor, lifecycle method, field), fails the test with a {@link SandboxedConfigurationException}
 * that names the field and what is allowed, before any sandbox of that test starts.
 */
class BadSettingsTest {
    static int bodiesRun;

    @BeforeEach
    void reset() {
        bodiesRun = 0;
    }

    /** Each method declares one bad value; the table below selects them one at a time. */
    @ExtendWith(SandboxedExtension.class)
    static class Methods {
        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = "bogus")
        void waitForKind(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = {"port:80", "port:99999"})
        void waitForPort(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = "log*0:ready")
        void waitForLogCount(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = "log:(unclosed")
        void waitForLogRegex(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = "command:")
        void waitForEmptyCommand(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = "http:web/health")
        void waitForHttpPort(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitFor = "http:8080/health", publish = "9090")
        void waitForHttpUnpublished(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(publish = "8080/sctp")
        void publishTransport(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(publish = "10.0.0.1::8080")
        void publishNotLoopback(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(publish = {"8080", "127.0.0.1:0:8080"})
        void publishTwice(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(publish = "8080", network = "host")
        void publishOnTheHostNetwork(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(publishAll = true)
        void publishAllWithoutImage(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(exposeHostPorts = 70000)
        void exposeHostPorts(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(waitFor = "port:80")
        void waitForWithoutStart(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = {"sleep", "60"}, waitTimeout = "soon")
        void waitTimeout(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(start = true)
        void startWithoutImage(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(command = "")
        void emptyCommand(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(memory = "lots")
        void memory(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(memory = "0")
        void memoryZero(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(cpus = "many")
        void cpus(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(cpus = "-1")
        void cpusNegative(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(pids = "1.5")
        void pids(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(network = "bridge")
        void network(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(network = "container:")
        void networkWithoutName(Container c) {
            bodiesRun++;
        }

        @Test
        void networkOfNoContainer(@Sandboxed(name = "client", network = "container:db") Container c) {
            bodiesRun++;
        }

        @Test
        void networkDeclaredAfter(@Sandboxed(name = "client", network = "container:db") Container c,
                                  @Sandboxed(name = "db") Container db) {
            bodiesRun++;
        }

        @Test
        void networkOfItself(@Sandboxed(name = "self", network = "container:self") Container c) {
            bodiesRun++;
        }

        @Test
        void netWithoutName(@Sandboxed(network = "net:") Container c) {
            bodiesRun++;
        }

        @Test
        void netWithBadCharacters(@Sandboxed(network = "net:Back end!") Container c) {
            bodiesRun++;
        }

        @Test
        void netMemberWithoutHostName(@Sandboxed(name = "my_db", network = "net:backend") Container c) {
            bodiesRun++;
        }

        @Test
        void badAlias(@Sandboxed(name = "db", network = "net:backend", aliases = "no such alias") Container c) {
            bodiesRun++;
        }

        @Test
        void aliasesWithoutNet(@Sandboxed(name = "db", aliases = "postgres") Container c) {
            bodiesRun++;
        }

        @Test
        void badNetAfterAGoodMember(@Sandboxed(name = "db", network = "net:backend") Container db,
                                    @Sandboxed(name = "app", network = "net:-x") Container app) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(seccomp = "/does/not/exist.json")
        void seccomp(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(hostname = "-bad-")
        void hostname(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(workdir = "relative")
        void workdir(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(user = "no-such-user-here")
        void user(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(env = "NO_EQUALS_SIGN")
        void env(Container c) {
            bodiesRun++;
        }

        @Test
        void mountSource(@Sandboxed(mounts = "/does/not/exist:/x") Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(mounts = "a:b:c:d")
        void mountSyntax(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(mounts = "tmpfs:/x:colour=red")
        void mountTmpfsOption(Container c) {
            bodiesRun++;
        }

        @Test
        @Bind(source = "/does/not/exist", target = "/x")
        void bind(Container c) {
            bodiesRun++;
        }

        @Test
        @Tmpfs(target = "/x", size = "huge")
        void tmpfsSize(Container c) {
            bodiesRun++;
        }

        @Test
        @Tmpfs(target = "/x", mode = "999")
        void tmpfsMode(Container c) {
            bodiesRun++;
        }

        @Test
        @Tmpfs(target = "relative")
        void tmpfsTarget(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(rootfs = "/does/not/exist")
        void rootfs(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(timeout = "soon")
        void timeout(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(timeout = "0s")
        void timeoutZero(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(customizers = NeedsArgument.class)
        void customizerWithoutNoArgConstructor(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(customizers = AbstractCustomizer.class)
        void abstractCustomizer(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(customizers = InnerCustomizer.class)
        void innerCustomizer(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(customizers = ThrowingConstructor.class)
        void customizerConstructorThrows(Container c) {
            bodiesRun++;
        }

        @Test
        void customizerSetsABadValue(@Sandboxed(customizers = BadHostname.class) Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(customizers = Failing.class)
        void customizerFails(Container c) {
            bodiesRun++;
        }

        @Test
        @Sandboxed(customizers = NoMountNamespace.class)
        void customizerBuildsAnInvalidSpec(Container c) {
            bodiesRun++;
        }

        @Test
        void plain(Container c) {
            bodiesRun++;
        }
    }

    static class NoOp implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
        }
    }

    static class NeedsArgument extends NoOp {
        NeedsArgument(int unused) {
        }
    }

    abstract static class AbstractCustomizer implements SandboxCustomizer {
    }

    class InnerCustomizer extends NoOp {
    }

    static class ThrowingConstructor extends NoOp {
        ThrowingConstructor() {
            throw new IllegalStateException("deliberate");
        }
    }

    static class BadHostname implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.hostname("-bad-");
        }
    }

    static class Failing implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) throws Exception {
            throw new IOException("deliberate");
        }
    }

    static class NoMountNamespace implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.withoutNamespace(Namespace.MOUNT);
        }
    }

    static class BeforeEachParameter {
        @BeforeEach
        void setUp(@Sandboxed(mounts = "/does/not/exist:/x") Container c) {
            bodiesRun++;
        }

        @Test
        void test() {
            bodiesRun++;
        }
    }

    static class ConstructorParameter {
        ConstructorParameter(@Sandboxed(name = "client", network = "container:db") Container c) {
            bodiesRun++;
        }

        @Test
        void test() {
            bodiesRun++;
        }
    }

    static class ScopeTestWhereNoTestRuns {
        @Sandboxed(scope = Scope.TEST)
        static Container shared;

        @Test
        void test() {
            bodiesRun++;
        }
    }

    static class PerTestBeforeAllParameter {
        @BeforeAll
        static void setUp(@Sandboxed(scope = Scope.TEST) Container c) {
            bodiesRun++;
        }

        @Test
        void test() {
            bodiesRun++;
        }
    }

    static class FieldOfWrongType {
        @Sandboxed
        String notAContainer;

        @Test
        void test() {
            bodiesRun++;
        }
    }

    static class FinalField {
        @Sandboxed
        final Container container = null;

        @Test
        void test() {
            bodiesRun++;
        }
    }

    private static DiscoverySelector selectFixture(String method) {
        return selectMethod(Methods.class, Arrays.stream(Methods.class.getDeclaredMethods())
                .filter(m -> m.getName().equals(method)).findFirst().orElseThrow());
    }

    private static Arguments method(String method, String field, String allowed) {
        return Arguments.of(method, selectFixture(method), Map.of(), field, allowed);
    }

    private static Arguments fixture(Class<?> fixture, String field, String allowed) {
        return Arguments.of(fixture.getSimpleName(), selectClass(fixture), Map.of(), field, allowed);
    }

    private static Arguments config(String key, String value, String allowed) {
        return Arguments.of(key + "=" + value, selectFixture("plain"),
                Map.of(key, value), key, allowed);
    }

    static Stream<Arguments> badValues() {
        String network = "expected none, host, egress, net:NAME (a network of the test or class; NAME of 1-63 lower-case "
                + "letters, digits, '_', '.' or '-', starting with a letter or digit) or container:NAME of a container "
                + "declared before it";
        String aliases = "expected host names of 1-63 letters, digits, '.' or '-', starting with a letter or digit, "
                + "with network = \"net:NAME\"";
        String waits = "expected port:PORT (1-65535), log:REGEX, log*N:REGEX (the N-th matching line), command:SHELL-SCRIPT, healthcheck or http:PORT[/PATH][=STATUS[,STATUS...]]";
        return Stream.of(
                method("waitForKind", "waitFor", "'bogus' is not a wait; " + waits),
                method("waitForPort", "waitFor", "'port:99999' is not a port between 1 and 65535; " + waits),
                method("waitForLogCount", "waitFor", "'log*0:ready' does not give a positive count N in log*N; " + waits),
                method("waitForLogRegex", "waitFor", "'log:(unclosed' has a bad regular expression (Unclosed group"),
                method("waitForEmptyCommand", "waitFor", "'command:' gives no value after 'command:'; " + waits),
                method("waitForHttpPort", "waitFor", "'http:web/health' does not start with a port between 1 and 65535; " + waits),
                method("waitForHttpUnpublished", "waitFor", "'an HTTP GET of /health on port 8080 to answer 200' needs port 8080"
                        + " published, but publish has [127.0.0.1::9090/tcp]; expected publish = \"8080\" (or port:8080"),
                method("publishTransport", "publish", "'8080/sctp': transport 'sctp' is not tcp or udp; allowed: [HOST_IP:]"),
                method("publishNotLoopback", "publish", "host address '10.0.0.1' is not a loopback address; allowed: 127.x.y.z"),
                method("publishTwice", "publish", "8080/tcp is published twice; publish each sandbox port once"),
                method("publishOnTheHostNetwork", "publish", "needs the sandbox's own"),
                method("publishAllWithoutImage", "publishAll", "no image whose ExposedPorts could be published"),
                method("exposeHostPorts", "exposeHostPorts", "port 70000 is not 1..65535; expected host ports 1..65535"),
                method("waitForWithoutStart", "waitFor", "starts no main process to wait for; expected start = true or a command"),
                method("waitTimeout", "waitTimeout", "expected e.g. 500ms, 30s, 5m"),
                method("startWithoutImage", "start", "has no image whose Entrypoint and Cmd could start; expected an image, or a command"),
                method("emptyCommand", "command", "the program is empty; expected a program and its arguments"),
                method("memory", "memory", "expected bytes or a number with k, m, g"),
                method("memoryZero", "memory", "expected a positive size"),
                method("cpus", "cpus", "expected a positive number of CPUs"),
                method("cpusNegative", "cpus", "expected a positive number of CPUs"),
                method("pids", "pids", "expected a positive whole number of processes"),
                method("network", "network", "'bridge' is not a network; " + network),
                method("networkWithoutName", "network", network),
                method("networkOfNoContainer", "network", "'container:db' names no container of this test; " + network),
                method("networkDeclaredAfter", "network", "'container:db' names no container of this test; " + network),
                method("networkOfItself", "network", "names this container itself; " + network),
                method("netWithoutName", "network", "'net:' names no network; " + network),
                method("netWithBadCharacters", "network", "'net:Back end!': 'Back end!' is not a network name; " + network),
                method("netMemberWithoutHostName", "network", "the container name 'my_db' is not a host name, which a "
                        + "container on network 'backend' needs so that the others reach it by name; expected a name of"),
                method("badAlias", "aliases", "'no such alias' is not a hostname"),
                method("aliasesWithoutNet", "aliases", "[postgres] given, but the container joins no network; " + aliases),
                method("badNetAfterAGoodMember", "network", "'net:-x': '-x' is not a network name; " + network),
                method("seccomp", "seccomp", "built-in profiles"),
                method("hostname", "hostname", "is not a hostname: 1-64 bytes of letters, digits"),
                method("workdir", "workdir", "expected an absolute path"),
                method("user", "user", "expected UID[:GID] (0..65535) or a user name"),
                method("env", "env", "expected NAME=value"),
                method("mountSource", "mounts", "'/does/not/exist' does not exist on the host; expected SRC:DST[:ro|:rw]"),
                method("mountSyntax", "mounts", "is not SRC:DST[:ro|:rw]"),
                method("mountTmpfsOption", "mounts", "allowed: size=N, mode=OCTAL"),
                method("bind", "bind", "expected an existing host path as source"),
                method("tmpfsSize", "tmpfs.size", "expected bytes or a number with k, m, g"),
                method("tmpfsMode", "tmpfs.mode", "expected an octal mode"),
                method("tmpfsTarget", "tmpfs", "expected an absolute path"),
                method("rootfs", "rootfs", "expected host or the path of a root directory"),
                method("timeout", "timeout", "expected e.g. 500ms, 30s, 5m"),
                method("timeoutZero", "timeout", "expected a positive duration"),
                method("customizerWithoutNoArgConstructor", "customizers", "NeedsArgument' has no constructor without "
                        + "parameters; expected a class implementing dev.sandboxed.junit.SandboxCustomizer with a constructor"),
                method("abstractCustomizer", "customizers", "AbstractCustomizer' is abstract; expected a class implementing"),
                method("innerCustomizer", "customizers", "InnerCustomizer' is an inner class"),
                method("customizerConstructorThrows", "customizers", "ThrowingConstructor' threw "
                        + "java.lang.IllegalStateException: deliberate; expected a class implementing"),
                method("customizerSetsABadValue", "customizers", "BadHostname' set hostname: '-bad-' is not a hostname: 1-64"),
                method("customizerFails", "customizers", "Failing' failed: java.io.IOException: deliberate"),
                method("customizerBuildsAnInvalidSpec", "customizers", "NoMountNamespace] built an invalid spec: namespaces:"),
                fixture(BeforeEachParameter.class, "mounts", "does not exist on the host; expected SRC:DST"),
                fixture(ConstructorParameter.class, "network", "'container:db' names no container of this test; " + network),
                fixture(ScopeTestWhereNoTestRuns.class, "scope", "expected CLASS or DEFAULT"),
                fixture(PerTestBeforeAllParameter.class, "scope", "expected CLASS or DEFAULT"),
                fixture(FieldOfWrongType.class, "@Sandboxed field FieldOfWrongType.notAContainer",
                        "expected a non-final field of type Container"),
                fixture(FinalField.class, "@Sandboxed field FinalField.container", "expected a non-final field of type Container"),
                config(ExtensionConfig.ROOTFS, "/does/not/exist", "expected host or the path of a root directory"),
                config(ExtensionConfig.MEMORY, "lots", "expected bytes or a number with k, m, g"),
                config(ExtensionConfig.CPUS, "0", "expected a positive number of CPUs"),
                config(ExtensionConfig.PIDS, "-3", "expected a positive whole number of processes"),
                config(ExtensionConfig.NETWORK, "bridge", network),
                config(ExtensionConfig.NETWORK, "container:db", "names no container of this test; " + network),
                config(ExtensionConfig.SECCOMP, "/does/not/exist.json", "built-in profiles"),
                config(ExtensionConfig.TIMEOUT, "soon", "expected e.g. 500ms, 30s, 5m"),
                config(ExtensionConfig.CLEANUP, "sometimes", "expected always, on_success or never"),
                config(ExtensionConfig.CUSTOMIZERS, "com.example.NoSuchCustomizer", "class 'com.example.NoSuchCustomizer' "
                        + "cannot be loaded (java.lang.ClassNotFoundException: com.example.NoSuchCustomizer); expected the "
                        + "binary name of a class implementing"),
                config(ExtensionConfig.MAX_CONCURRENT, "0", "expected the number of sandboxes allowed at once"),
                config(ExtensionConfig.UNSUPPORTED, "ignore", "expected fail or skip"),
                config(ExtensionConfig.DIAGNOSTIC_LINES, "many", "expected the output lines shown per process"),
                config(ExtensionConfig.PREPARE_AHEAD, "maybe", "'maybe' is not a switch; expected true or false"),
                config(RuntimeConfig.CGROUP_POOL_PROPERTY, "lots", "use 0 to 16 cgroups per limits"),
                config(RuntimeConfig.CGROUP_POOL_PROPERTY, "99", "must be between 0 and 16"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void failsWithTheFieldAndTheAllowedValues(String name, DiscoverySelector selector, Map<String, String> config,
                                              String field, String allowed) {
        List<Throwable> failures = EngineTestKit.engine("junit-jupiter").selectors(selector).configurationParameters(config)
                .execute().allEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
        assertThat(failures).singleElement().satisfies(t -> {
            assertThat(t).isExactlyInstanceOf(SandboxedConfigurationException.class)
                    .hasMessageStartingWith("invalid " + field + ": ").hasMessageContaining(allowed);
            assertThat(((SandboxedConfigurationException) t).field()).isEqualTo(field);
        });
        assertThat(bodiesRun).as("test bodies run").isZero();
        Kit.assertNothingLeft(List.of());
    }

    @Test
    void aBadValueFailsEvenWhereUnsupportedHostsAreSkipped() {
        List<Throwable> failures = EngineTestKit.engine("junit-jupiter")
                .selectors(selectFixture("plain"))
                .configurationParameters(Map.of(ExtensionConfig.SIMULATE_UNSUPPORTED, "simulated",
                        ExtensionConfig.UNSUPPORTED, "skip", ExtensionConfig.MEMORY, "lots"))
                .execute().testEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
        assertThat(failures).singleElement().isInstanceOf(SandboxedConfigurationException.class);
    }
}
