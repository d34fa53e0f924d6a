package dev.sandboxed.junit;

import java.io.File;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.runtime.PrestartOptOut;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.junit.internal.hermetic.Cds;
import dev.sandboxed.junit.internal.hermetic.ChildMain;
import dev.sandboxed.junit.internal.hermetic.DynamicListing;
import dev.sandboxed.junit.internal.hermetic.Invocations;
import dev.sandboxed.junit.internal.hermetic.JvmPool;
import dev.sandboxed.junit.internal.hermetic.JvmRun;
import dev.sandboxed.junit.internal.hermetic.PublishedFiles;
import dev.sandboxed.junit.internal.hermetic.TestTimeouts;
import dev.sandboxed.junit.internal.hermetic.Verdict;
import dev.sandboxed.junit.internal.hermetic.Wire;

/**
 * {@code @Sandboxed(jvm = true)}: the test's instance, {@code @BeforeEach} methods, the test method and its
 * {@code @AfterEach} methods run in a fresh JVM in a sandbox made from the test's settings (see {@link JvmRun}); here
 * they are skipped and the child's result is thrown as if the test had run in place. The child selects the test by
 * its unique id: a method of a top-level, static or {@code @Nested} class, one invocation of a test template, or one
 * dynamic test (a factory runs in a sandboxed JVM that lists its dynamic tests, then again in each one's JVM).
 */
final class JvmTests {
    /** Extra JVM options for the sandboxed JVM, whitespace-separated, after the chosen ones (so they win). */
    static final String OPTIONS = "sandboxed.jvm.options";
    /** More configuration parameters to pass on, comma-separated, besides the sandboxed.* and junit.jupiter.* below. */
    static final String FORWARD = "sandboxed.jvm.forward";
    /** How long the sandboxed JVM may run unless {@code timeout} or {@code sandboxed.timeout} says otherwise. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    /**
     * How long the sandboxed JVM may run beyond the JUnit timeouts of its test ({@code @Timeout} on the method, its
     * class or an enclosing one, or the {@code junit.jupiter.execution.timeout.*} defaults) and of its lifecycle
     * methods that have one, for its start, class initialization and untimed lifecycle methods: with a timeout, the
     * JVM is killed after the smaller of that sum and {@link #DEFAULT_TIMEOUT} (or {@code timeout}). A duration as for
     * {@code sandboxed.timeout}; 60 s by default. See {@link TestTimeouts}.
     */
    static final String TIMEOUT_ALLOWANCE = TestTimeouts.ALLOWANCE;
    /** {@link #TIMEOUT_ALLOWANCE}'s default. */
    static final Duration DEFAULT_TIMEOUT_ALLOWANCE = Duration.ofSeconds(60);
    /** How many sandboxed JVMs are kept started ahead per test run (fork), each for one later test; 0 for none. */
    static final String PREPARED = "sandboxed.jvm.prepared";
    /** {@code auto} (a class-data archive of the class path's jars, see {@link Cds}) or {@code off}. */
    static final String CDS = "sandboxed.jvm.cds";
    /** Where the class-data archives are kept: by default the build's target directory, else the user's cache. */
    static final String CDS_DIR = "sandboxed.jvm.cds.dir";
    /** Report entries with the sandboxed JVM's usage, published for every such test. */
    static final String USAGE_ENTRY = "sandboxed.jvm.usage";

    /**
     * Where the {@code @BeforeAll}/{@code @AfterAll} methods of a class whose tests all run in sandboxed JVMs run:
     * {@code child} (only there, around each test: none of the test's methods runs outside a sandbox, though its
     * static initializers do, as any instance here initializes the class) or {@code both}
     * (also here, once, as JUnit runs them: to open a host resource the tests must reach or be refused).
     */
    static final String CLASS_METHODS = "sandboxed.jvm.classMethods";

    /** Configuration parameters the child gets when they are set here (JUnit cannot list them all). */
    private static final List<String> FORWARDED = List.of(ExtensionConfig.TIMEOUT, ExtensionConfig.DIAGNOSTIC_LINES,
            "junit.jupiter.displayname.generator.default", "junit.jupiter.testinstance.lifecycle.default",
            "junit.jupiter.execution.timeout.default", "junit.jupiter.execution.timeout.testable.method.default",
            "junit.jupiter.execution.timeout.test.method.default", "junit.jupiter.execution.timeout.beforeeach.method.default",
            "junit.jupiter.execution.timeout.aftereach.method.default", "junit.jupiter.execution.timeout.mode",
            "junit.jupiter.execution.timeout.thread.mode.default", "junit.jupiter.extensions.autodetection.enabled",
            "junit.jupiter.conditions.deactivate", "junit.jupiter.tempdir.cleanup.mode.default",
            "junit.jupiter.tempdir.scope", "junit.jupiter.params.displayname.default",
            // Display names must come out equal in both JVMs: the child selects its invocation by them.
            "junit.jupiter.params.displayname.argument.maxlength",
            "junit.jupiter.execution.timeout.testtemplate.method.default",
            "junit.jupiter.execution.timeout.testfactory.method.default",
            "junit.jupiter.execution.timeout.lifecycle.method.default",
            "junit.jupiter.execution.timeout.beforeall.method.default",
            "junit.jupiter.execution.timeout.afterall.method.default", "junit.jupiter.tempdir.factory.default",
            "junit.jupiter.extensions.autodetection.include", "junit.jupiter.extensions.autodetection.exclude",
            "junit.jupiter.extensions.testinstantiation.extensioncontextscope.default",
            // These change a test's outcome or its report: a strict count fails an invocation in place.
            "junit.jupiter.params.argumentCountValidation", "junit.platform.stacktrace.pruning.enabled",
            "junit.jupiter.execution.timeout.threaddump.enabled", "junit.jupiter.params.arguments.conversion.locale.format");

    private static final System.Logger LOG = System.getLogger(JvmTests.class.getName());

    private JvmTests() {
    }

    /** Whether this JVM is a sandboxed test JVM: there the extension stands aside and the test runs in place. */
    static boolean isChild() {
        return Boolean.getBoolean(Wire.CHILD_PROPERTY);
    }

    /** Refuses, before anything starts, what {@code jvm = true} does not support yet; one line naming it. */
    static void check(ExtensionContext context, SandboxedSettings settings) {
        Class<?> testClass = context.getRequiredTestClass();
        Method method = context.getRequiredTestMethod();
        Class<?>[] types = method.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            if (types[i] == Container.class) {
                throw unsupported("Container parameters (parameter " + (i + 1) + " of " + method.getName() + ")",
                        "a test without containers");
            }
        }
        for (Constructor<?> c : testClass.getDeclaredConstructors()) {
            checkConstructor(c);
        }
        // A @Nested class's enclosing instances are made in the sandboxed JVM too: their fields count.
        for (Class<?> c = testClass; c != null; c = c.isMemberClass() && !java.lang.reflect.Modifier.isStatic(c.getModifiers())
                ? c.getEnclosingClass() : null) {
            if (!AnnotationSupport.findAnnotatedFields(c, Sandboxed.class, f -> f.getType() == Container.class).isEmpty()) {
                throw unsupported("@Sandboxed Container fields", "a test without containers");
            }
        }
        ResourceBudgets.of(testClass, method); // a bad value is refused now, before any JVM starts
        settings.jvmUnsupported().ifPresent(attribute -> {
            throw unsupported(attribute, "network none or host, limits, seccomp, binds, tmpfs, env, user, hostname, timeout");
        });
    }

    /** Refuses a constructor with Container parameters; see {@link #check}. */
    static void checkConstructor(Constructor<?> constructor) {
        if (Arrays.stream(constructor.getParameterTypes()).anyMatch(t -> t == Container.class)) {
            throw unsupported("Container constructor parameters", "a test without containers");
        }
    }

    private static SandboxedConfigurationException unsupported(String what, String expected) {
        return new SandboxedConfigurationException("jvm", what + ": not supported with jvm = true yet; expected "
                + expected);
    }

    /**
     * Runs the test in its sandboxed JVM and throws its result, as the test would have thrown it here. For a dynamic
     * test, {@code settings} are its factory's.
     */
    static void run(ExtensionContext context, SandboxedSettings settings) throws Throwable {
        execute(context, context, settings, false);
    }

    /** Runs a dynamic test of the factory of {@code factory} in its sandboxed JVM; see {@link #run}. */
    static void runDynamic(ExtensionContext dynamic, ExtensionContext factory, SandboxedSettings settings) throws Throwable {
        execute(dynamic, factory, settings, false);
    }

    /**
     * Runs the test factory in a sandboxed JVM that lists its dynamic tests without running them, and returns them
     * rebuilt (see {@link DynamicListing}); a failure of the factory there is thrown here.
     */
    static Stream<DynamicNode> listDynamic(ExtensionContext context, SandboxedSettings settings) throws Throwable {
        return DynamicListing.nodes(execute(context, context, settings, true).events(), context.getUniqueId());
    }

    /** Whether this is a sandboxed JVM listing a test factory's dynamic tests: they must not run. */
    static boolean listing() {
        return isChild() && ChildMain.listing();
    }

    /** Runs {@code context}'s test in a sandboxed JVM; {@code owner} is its method's context (a dynamic test has none). */
    private static JvmRun.Outcome execute(ExtensionContext context, ExtensionContext owner, SandboxedSettings settings,
                                          boolean list) throws Throwable {
        ExtensionConfig config = new ExtensionConfig(owner);
        SandboxSpec spec = settings.toSpec(owner);
        SandboxRuntime runtime = Runtimes.runtime(owner, config);
        Class<?> testClass = owner.getRequiredTestClass();
        // A factory's listing JVM only finds its dynamic tests: the budget is each one's.
        ResourceBudgets.Budget budget = list ? ResourceBudgets.NONE : ResourceBudgets.of(testClass, owner.getRequiredTestMethod());
        Wire.Request request = new Wire.Request(context.getUniqueId(), context.getDisplayName(), list, configuration(config),
                positional(context));
        List<String> options = config.get(OPTIONS).map(o -> List.of(o.trim().split("\\s+"))).orElse(List.of());
        TestTimeouts.Bound bound = new TestTimeouts.Bound(settings.timeout().orElse(DEFAULT_TIMEOUT),
                // The timeouts as JUnit reads them there: untrimmed (it ignores "5 s " and so does the bound).
                TestTimeouts.of(context, owner, config::raw, TestTimeouts.launchOptions(options, spec.environment())),
                timeoutAllowance(config));
        Duration timeout = bound.timeout();
        boolean cdsOn = cdsOn(config);
        List<String> classPath = JvmRun.classPath(anchors(testClass));
        JvmRun.unreachable(classPath).ifPresent(why -> {
            throw new SandboxedConfigurationException("jvm", "the class path, the working directory and the JDK are "
                    + "bound at their own paths, but " + why + "; expected them below /tmp or /run, or elsewhere outside /proc, /dev and /sys");
        });
        JvmRun run = new JvmRun(cds(context, config, classPath, cdsOn), options, CURRENT_OUT, CURRENT_ERR);
        Function<SandboxSpec, Sandbox> start = s -> {
            try {
                return PrestartOptOut.during(() -> runtime.start(s)); // the JVM pool keeps its own
            } catch (SpecException e) {
                throw SandboxedConfigurationException.of(e);
            }
        };
        JvmPool pool = pool(context, config);
        JvmRun.Key key = run.key(spec);
        Runnable release = Runtimes.acquirePermit(context, config);
        JvmRun.Outcome outcome;
        boolean startedAhead;
        try {
            Optional<JvmRun.Prepared> ahead = pool.take(key);
            startedAhead = ahead.isPresent();
            JvmRun.Prepared jvm = ahead.orElseGet(() -> run.prepare(spec, start));
            try {
                // The next test with these settings finds its JVM booted, or booting, while this one runs.
                pool.prepareAhead(key, () -> run.prepare(spec, start));
            } catch (RuntimeException | Error e) {
                jvm.close();
                throw e;
            }
            outcome = run.finish(jvm, request, timeout);
        } finally {
            release.run();
        }
        PublishedFiles.Budget files = new PublishedFiles.Budget();
        for (JsonNode e : outcome.events()) {
            if (e.path("type").asText().equals("entry")) {
                Map<String, String> entries = new LinkedHashMap<>();
                e.path("entries").fields().forEachRemaining(f -> entries.put(f.getKey(), f.getValue().asText()));
                try {
                    context.publishReportEntry(entries);
                } catch (RuntimeException x) {
                    // The sandboxed JVM is untrusted: what JUnit refuses (a blank key) must not decide the result.
                    LOG.log(System.Logger.Level.WARNING, "Sandboxed: a report entry from the sandboxed JVM of "
                            + context.getDisplayName() + " was not published: " + x.getMessage());
                }
            } else if (e.path("type").asText().equals("file")) {
                ForwardedFiles.publish(context, e, files);
            }
        }
        publishUsage(context, outcome, startedAhead);
        Optional<Throwable> result = Verdict.of(outcome, bound, testClass.getClassLoader());
        if (result.isPresent() && result.get() instanceof TestAbortedException) {
            throw result.get();
        }
        Optional<? extends Throwable> overBudget = ResourceBudgets.check(budget, outcome.usage(), outcome.cpuAtStart());
        Optional<Throwable> failure = result.isPresent() ? result : overBudget.map(Throwable.class::cast);
        if (failure.isPresent()) {
            Throwable t = failure.get();
            // The test's own failure comes first; going over its budget too is worth knowing beside it.
            overBudget.filter(o -> o != t).ifPresent(t::addSuppressed);
            t.addSuppressed(new SandboxDiagnostics(diagnostics(outcome)));
            throw t;
        }
        return outcome;
    }

    /**
     * The display names of the test and its enclosing invocations that the child finds by position: of a
     * {@code @ParameterizedClass} invocation too, whose tests are selected by their method.
     */
    private static Map<String, String> positional(ExtensionContext context) {
        Map<String, String> names = new LinkedHashMap<>();
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            if (Invocations.positional(c.getUniqueId())) {
                names.put(c.getUniqueId(), c.getDisplayName());
            }
        }
        return names;
    }

    private static boolean cdsOn(ExtensionConfig config) {
        String value = config.get(CDS).orElse("auto").trim();
        return switch (value) {
            case "auto" -> true;
            case "off" -> false;
            default -> throw new SandboxedConfigurationException(CDS, "'" + value + "' is not a mode; expected auto (a "
                    + "class-data archive of the class path's jars, made once) or off");
        };
    }

    /** The run's class-data archive for {@code classPath}, one per class path. */
    private static Cds cds(ExtensionContext context, ExtensionConfig config, List<String> classPath, boolean on) {
        if (!on) {
            return Cds.off(classPath);
        }
        Path dir = config.get(CDS_DIR).map(Path::of).orElseGet(JvmTests::defaultCdsDir);
        return context.getRoot().getStore(SandboxedExtension.NAMESPACE).getOrComputeIfAbsent("jvm-cds " + dir + " "
                + String.join(File.pathSeparator, classPath), k -> new OwnedCds(Cds.in(dir, classPath)), OwnedCds.class)
                .cds();
    }

    /** The build's target directory (Maven's, then Gradle's build), else the user's cache. */
    private static Path defaultCdsDir() {
        Path work = Path.of(System.getProperty("user.dir"));
        for (String build : List.of("target", "build")) {
            if (Files.isDirectory(work.resolve(build)) && Files.isWritable(work.resolve(build))) {
                return work.resolve(build).resolve("sandboxed-cds");
            }
        }
        String cache = System.getenv("XDG_CACHE_HOME");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("sandboxed").resolve("cds");
    }

    /** The run's pool of JVMs started ahead, closed when the run ends. */
    private static JvmPool pool(ExtensionContext context, ExtensionConfig config) {
        return context.getRoot().getStore(SandboxedExtension.NAMESPACE).getOrComputeIfAbsent("jvm-pool",
                k -> new OwnedPool(new JvmPool(prepared(config))), OwnedPool.class).pool();
    }

    /** Whether {@link #CLASS_METHODS} says {@code both}; anything but {@code child} or {@code both} is refused. */
    static boolean classMethodsHereToo(ExtensionConfig config) {
        return config.get(CLASS_METHODS).map(text -> switch (text.trim()) {
            case "child" -> false;
            case "both" -> true;
            default -> throw new SandboxedConfigurationException(CLASS_METHODS, "'" + text + "' is not a place; expected "
                    + "child (@BeforeAll and @AfterAll only in each sandboxed JVM) or both (also in the test JVM)");
        }).orElse(false);
    }

    private static Duration timeoutAllowance(ExtensionConfig config) {
        try {
            return config.get(TIMEOUT_ALLOWANCE).map(v -> Sizes.parseDuration(TIMEOUT_ALLOWANCE, v))
                    .orElse(DEFAULT_TIMEOUT_ALLOWANCE);
        } catch (SpecException e) {
            throw SandboxedConfigurationException.of(TIMEOUT_ALLOWANCE, e, SandboxedSettings.DURATION_EXPECTED);
        }
    }

    private static int prepared(ExtensionConfig config) {
        return config.get(PREPARED).map(text -> {
            try {
                int value = Integer.parseInt(text);
                if (value >= 0) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new SandboxedConfigurationException(PREPARED, "'" + text + "' is not a whole number >= 0; expected the "
                    + "number of sandboxed JVMs started ahead such as 1, or 0 for none");
        }).orElse(1);
    }

    /** The pool in the root store: its JVMs are closed when the run ends. */
    // CloseableResource is deprecated since JUnit 5.13 (AutoCloseable suffices there); older 5.x versions need it.
    @SuppressWarnings("deprecation")
    private record OwnedPool(JvmPool pool) implements AutoCloseable, ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            pool.close();
        }
    }

    /** The archive in the root store: a dump still under way is waited for when the run ends. */
    @SuppressWarnings("deprecation") // as OwnedPool
    private record OwnedCds(Cds cds) implements AutoCloseable, ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            cds.close();
        }
    }

    /** The child's output goes to this JVM's System.out and System.err of the moment it is written. */
    private static final OutputStream CURRENT_OUT = new OutputStream() {
        @Override
        public void write(int b) {
            System.out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            System.out.write(b, off, len);
            System.out.flush();
        }
    };

    private static final OutputStream CURRENT_ERR = new OutputStream() {
        @Override
        public void write(int b) {
            System.err.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            System.err.write(b, off, len);
            System.err.flush();
        }
    };

    /** Where the child's class path must reach: the test, the launcher and engine, this extension and Jackson. */
    private static List<Class<?>> anchors(Class<?> testClass) {
        List<Class<?>> anchors = new ArrayList<>(List.of(testClass, ChildMain.class, ObjectMapper.class, JsonFactory.class,
                JsonProperty.class));
        for (String name : List.of("org.junit.platform.launcher.core.LauncherFactory",
                "org.junit.jupiter.engine.JupiterTestEngine")) {
            try {
                anchors.add(Class.forName(name, false, testClass.getClassLoader()));
            } catch (ClassNotFoundException | LinkageError e) {
                throw new SandboxedConfigurationException("jvm", "the test's class path has no " + name + "; expected "
                        + "junit-platform-launcher and junit-jupiter-engine on it, as Surefire and Gradle provide");
            }
        }
        return anchors;
    }

    /** The configuration parameters set here that the child gets: the known ones and those {@link #FORWARD} names. */
    private static Map<String, String> configuration(ExtensionConfig config) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(FORWARDED);
        config.get(FORWARD).ifPresent(v -> Arrays.stream(v.split(",")).map(String::trim).filter(k -> !k.isEmpty())
                .forEach(keys::add));
        for (String key : keys) {
            config.raw(key).ifPresent(v -> out.put(key, v)); // as the test would read it in place
        }
        // One test, one thread: the child never runs anything beside it.
        out.put("junit.jupiter.execution.parallel.enabled", "false");
        return out;
    }

    private static void publishUsage(ExtensionContext context, JvmRun.Outcome outcome, boolean startedAhead) {
        ResourceUsage u = outcome.usage();
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("sandboxed.jvm.startedAhead", Boolean.toString(startedAhead));
        entries.put(CDS, outcome.cds());
        entries.put(USAGE_ENTRY, FailureReport.usage(u));
        entries.put("sandboxed.jvm.memoryPeakBytes", Long.toString(u.memoryPeakBytes()));
        // -1 where not measured, as the other figures: a JVM always uses some CPU time.
        Duration cpu = ResourceBudgets.cpu(u);
        entries.put("sandboxed.jvm.cpuMillis", Long.toString(cpu.isZero() ? -1 : cpu.toMillis()));
        // What a @ResourceBudget(cpuTime) is compared with: the CPU time once the JVM, booted, got its test.
        entries.put("sandboxed.jvm.testCpuMillis", Long.toString(ResourceBudgets.testCpu(u, outcome.cpuAtStart())
                .map(Duration::toMillis).orElse(-1L)));
        entries.put("sandboxed.jvm.pidsPeak", Long.toString(u.pidsPeak()));
        entries.put("sandboxed.jvm.oomKills", Long.toString(u.oomKills()));
        try {
            context.publishReportEntry(entries);
        } catch (RuntimeException e) {
            // reporting must never change the test's result
        }
    }

    /**
     * The command as failure reports show it: system properties by name only, for the parent's (passed on as
     * {@code -D}) may hold what its build was given, a password among them, and reports are kept and shared.
     */
    static String shown(List<String> command) {
        return command.stream().map(a -> a.startsWith("-D") && a.indexOf('=') > 0 ? a.substring(0, a.indexOf('=')) + "=..." : a)
                .collect(java.util.stream.Collectors.joining(" "));
    }

    private static String diagnostics(JvmRun.Outcome o) {
        return "Sandboxed diagnostics (sandboxed JVM)\nspec: " + o.spec() + "\njvm: `"
                + shown(o.command()) + "` " + o.status()
                + " [" + o.status().reason() + "] after " + o.duration().toMillis() + " ms\nusage: "
                + FailureReport.usage(o.usage());
    }
}
