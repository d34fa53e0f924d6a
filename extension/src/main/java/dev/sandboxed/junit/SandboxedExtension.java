package dev.sandboxed.junit;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MediaType;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.DynamicTestInvocationContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.opentest4j.TestAbortedException;

import dev.sandboxed.core.Network;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.wait.ReadinessException;
import dev.sandboxed.junit.internal.hermetic.Hollow;
import dev.sandboxed.junit.internal.hermetic.InstanceUse;


/**
 * The JUnit Jupiter extension behind {@link Sandboxed}: injects {@link Container}s into parameters and fields,
 * keeps them per test or per class, removes them when their scope ends (in afterEach/afterAll and, should those
 * not run, through the extension store), and attaches {@link SandboxDiagnostics} to failures.
 *
 * <p>Registered by {@code @Sandboxed}; {@code @ExtendWith(SandboxedExtension.class)} works too. To customize the
 * spec in code, register a configured instance on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static SandboxedExtension sandboxes = SandboxedExtension.builder()
 *         .customize(spec -> spec.rlimit(Rlimit.NOFILE, 1024, 1024).addCapability(Capability.SYS_PTRACE))
 *         .build();
 * }</pre>
 *
 * <p>Its customizers apply, as a level of the class that declares the field, to every container of that class
 * (whatever {@code @Sandboxed} also says); the instance registered innermost does the work for a class and any
 * other instance, such as the one {@code @Sandboxed} registers, stands aside, so containers are made once. Safe
 * under parallel execution; {@code sandboxed.maxConcurrent} caps the sandboxes alive at once.
 */
public class SandboxedExtension implements BeforeAllCallback, BeforeEachCallback, BeforeTestExecutionCallback,
        AfterEachCallback, AfterAllCallback,
        ParameterResolver, TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler,
        TestInstancePreConstructCallback, InvocationInterceptor {

    static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SandboxedExtension.class);

    private final List<SandboxCustomizer> customizers;

    /** The extension {@code @Sandboxed} and {@code @ExtendWith} register: no customizers of its own. */
    public SandboxedExtension() {
        this(List.of());
    }

    private SandboxedExtension(List<SandboxCustomizer> customizers) {
        this.customizers = List.copyOf(customizers);
    }

    /** A builder for an instance to register with {@code @RegisterExtension} on a static field. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SandboxedExtension} with {@link SandboxCustomizer}s. */
    public static final class Builder {
        private final List<SandboxCustomizer> customizers = new ArrayList<>();

        private Builder() {
        }

        /** Adds a customizer that only needs the spec builder; customizers run in the order added. */
        public Builder customize(Consumer<SandboxSpec.Builder> customizer) {
            Objects.requireNonNull(customizer, "customizer");
            return customize((spec, context) -> customizer.accept(spec));
        }

        /** Adds a customizer; customizers run in the order added. */
        public Builder customize(SandboxCustomizer customizer) {
            customizers.add(Objects.requireNonNull(customizer, "customizer"));
            return this;
        }

        public SandboxedExtension build() {
            return new SandboxedExtension(customizers);
        }
    }

    /**
     * Constructor parameters of per-method test instances get the test's context, so their containers are per test.
     * JUnit 5.12+ calls this; older ones never load the return type (see {@link JUnitFeatures}).
     */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }

    /**
     * Checks the host for the constructor's containers and creates them before the instance is made: an abort or a bad
     * setting thrown while JUnit resolves a constructor parameter would reach the test wrapped in a
     * ParameterResolutionException (a failure even with {@code sandboxed.unsupported=skip}). Resolving the parameter
     * then finds the container made here.
     */
    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        if (!acting(context)) {
            return;
        }
        Constructor<?>[] constructors = factoryContext.getTestClass().getDeclaredConstructors();
        if (constructors.length != 1) {
            return; // JUnit itself rejects the class
        }
        if (hollow(context, factoryContext.getTestClass())) {
            // Refused before JUnit resolves the parameters, which would make the containers here.
            JvmTests.checkConstructor(constructors[0]);
        }
        List<SandboxedSettings> needed = new ArrayList<>();
        for (Parameter p : constructors[0].getParameters()) {
            if (p.getType() == Container.class) {
                needed.add(settings(context, p));
            }
        }
        requireHost(context, needed);
        for (SandboxedSettings s : needed) {
            resolve(context, s, s.scope().orElse(Scope.DEFAULT));
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (!acting(context)) {
            return;
        }
        JUnitFeatures.reportMissing();
        Class<?> testClass = context.getRequiredTestClass();
        // Only class-scoped containers are checked here; tests are checked one by one so each reports for itself.
        List<SandboxedSettings> needed = new ArrayList<>();
        List<Field> fields = containerFields(testClass, true);
        for (Field f : fields) {
            needed.add(settings(context, f));
        }
        requireHost(context, needed);
        for (Field f : fields) {
            SandboxedSettings s = settings(context, f);
            // Static fields are class scoped; an explicit TEST is refused by resolve.
            inject(f, null, resolve(context, s, s.scope().orElse(Scope.CLASS)));
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!acting(context)) {
            return;
        }
        Method method = context.getRequiredTestMethod();
        if (jvmDeclared(context)) {
            // The test runs in a sandboxed JVM (beforeTestExecution): only checked here, nothing is made.
            SandboxedSettings own = settings(context, null);
            JvmTests.check(context, own);
            requireHost(context, List.of(own));
            return;
        }
        if (!ResourceBudgets.of(context.getRequiredTestClass(), method).isEmpty()) {
            throw new SandboxedConfigurationException("ResourceBudget", "it applies to @Sandboxed(jvm = true) tests (the "
                    + "sandboxed JVM's usage), and " + method.getName() + " runs here; expected jvm = true on the test, or "
                    + "an assertion on a container's usage(): SandboxAssertions.assertThat(container.usage())");
        }
        List<SandboxedSettings> needed = new ArrayList<>();
        if (SandboxedSettings.declares(method) || declaredOnClasses(context.getRequiredTestClass())) {
            needed.add(settings(context, null));
        }
        List<Object> instances = context.getRequiredTestInstances().getAllInstances();
        List<Field> fields = new ArrayList<>();
        for (Object instance : instances) {
            fields.addAll(containerFields(instance.getClass(), false));
        }
        boolean perClass = context.getTestInstanceLifecycle().orElse(TestInstance.Lifecycle.PER_METHOD)
                == TestInstance.Lifecycle.PER_CLASS;
        // The test's own containers, in the order they are made: fields now, then the parameters.
        List<SandboxedSettings> own = new ArrayList<>();
        for (Field f : fields) {
            SandboxedSettings s = settings(context, f);
            needed.add(s);
            if (s.scope().orElse(perClass ? Scope.CLASS : Scope.DEFAULT) != Scope.CLASS) {
                own.add(s);
            }
        }
        // Parameters are checked here too: an abort thrown while resolving a parameter would count as a failure.
        for (Parameter p : method.getParameters()) {
            if (p.getType() == Container.class) {
                SandboxedSettings s = settings(context, p);
                needed.add(s);
                if (s.scope().orElse(Scope.DEFAULT) != Scope.CLASS) {
                    own.add(s);
                }
            }
        }
        requireOneDeclarationPerName(context, own);
        requireHost(context, needed);
        for (Object instance : instances) {
            for (Field f : containerFields(instance.getClass(), false)) {
                SandboxedSettings s = settings(context, f);
                Scope scope = s.scope().orElse(perClass ? Scope.CLASS : Scope.DEFAULT);
                inject(f, instance, resolve(context, s, scope));
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!acting(context)) {
            return;
        }
        Optional<Throwable> failure = context.getExecutionException().filter(t -> !(t instanceof TestAbortedException));
        if (failure.isPresent()) {
            // ON_SUCCESS containers of this test and of every enclosing class are kept.
            for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
                ownRegistry(c).ifPresent(ContainerRegistry::markFailed);
            }
        }
        ownRegistry(context).ifPresent(r -> report(context, r.closeContainers()));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!acting(context)) {
            return;
        }
        if (context.getExecutionException().filter(t -> !(t instanceof TestAbortedException)).isPresent()) {
            ownRegistry(context).ifPresent(ContainerRegistry::markFailed);
        }
        ownRegistry(context).ifPresent(r -> report(context, r.closeContainers()));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == Container.class && acting(extensionContext);
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
        SandboxedSettings s = settings(context, null);
        parameterContext.findAnnotation(Sandboxed.class).ifPresent(a -> s.refine(new AnnotationHolder(a)));
        for (Bind b : parameterContext.findRepeatableAnnotations(Bind.class)) {
            s.refine(new AnnotationHolder(b));
        }
        for (Tmpfs t : parameterContext.findRepeatableAnnotations(Tmpfs.class)) {
            s.refine(new AnnotationHolder(t));
        }
        return resolve(context, s, s.scope().orElse(Scope.DEFAULT));
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        if (!acting(context)) {
            throw throwable;
        }
        throw attachDiagnostics(context, unwrap(throwable));
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        if (!acting(context)) {
            throw throwable;
        }
        throw attachDiagnostics(context, unwrap(throwable));
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        if (!acting(context)) {
            throw throwable;
        }
        throw attachDiagnostics(context, unwrap(throwable));
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        if (!acting(context)) {
            throw throwable;
        }
        throw attachDiagnostics(context, unwrap(throwable));
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        if (!acting(context)) {
            throw throwable;
        }
        throw attachDiagnostics(context, unwrap(throwable));
    }

    /**
     * {@code jvm = true}: the sandboxed JVM builds the test instance; this one gets a hollow one, made without running a
     * constructor or field initializer of the test's code, when every test it serves runs there (see
     * {@link #hollow}). Constructor parameters were resolved before this call, here.
     */
    @Override
    public <T> T interceptTestClassConstructor(Invocation<T> invocation, ReflectiveInvocationContext<Constructor<T>> invocationContext,
                                               ExtensionContext context) throws Throwable {
        Class<T> type = invocationContext.getExecutable().getDeclaringClass();
        if (acting(context) && hollow(context, type)) {
            invocation.skip();
            return Hollow.instance(type);
        }
        return invocation.proceed();
    }

    /**
     * Whether an instance of {@code type} (the test class or an enclosing class of a {@code @Nested} one), made for
     * {@code context}, serves {@code jvm = true} tests only and nothing here needs its state. A test method's context
     * (per-method lifecycle on JUnit 5.12+, see {@link #getTestInstantiationExtensionContextScope}): that test says
     * {@code jvm = true}. A class's (per-class lifecycle, or an older JUnit): the class or an enclosing one says it, so
     * all its tests and those of its {@code @Nested} classes run there, and no non-static {@code @BeforeAll} or
     * {@code @AfterAll} method, which runs here on the instance, is in that tree. Never for a class with a non-static
     * {@code @RegisterExtension} field: JUnit reads the extension from the instance. Nor when JUnit reads the state of
     * an instance in that class tree here: {@link InstanceUse}.
     */
    private static boolean hollow(ExtensionContext context, Class<?> type) {
        if (!AnnotationSupport.findAnnotatedFields(type, RegisterExtension.class, f -> !Modifier.isStatic(f.getModifiers()),
                HierarchyTraversalMode.TOP_DOWN).isEmpty()) {
            return false;
        }
        Optional<Class<?>> testClass = context.getTestClass();
        if (testClass.isEmpty() || InstanceUse.readHere(outermost(testClass.get()))) {
            return false;
        }
        if (context.getTestMethod().isPresent()) {
            return jvmDeclared(context);
        }
        return jvmOnClasses(testClass.get())
                && !instanceClassMethods(outermost(testClass.get()), JvmTests.classMethodsHereToo(new ExtensionConfig(context)));
    }

    /**
     * Whether {@code type}, its superclasses or its {@code @Nested} classes, deeply, have non-static methods that run
     * here around their tests: a class template invocation's (JUnit 5.13+) and, where {@code allHere} (see
     * {@link JvmTests#CLASS_METHODS}), {@code @BeforeAll} and {@code @AfterAll}.
     */
    private static boolean instanceClassMethods(Class<?> type, boolean allHere) {
        for (Class<? extends Annotation> a : CLASS_METHODS) {
            if (!allHere && (a == BeforeAll.class || a == AfterAll.class)) {
                continue; // they run in the sandboxed JVMs only
            }
            if (!AnnotationSupport.findAnnotatedMethods(type, a, HierarchyTraversalMode.TOP_DOWN).stream()
                    .allMatch(m -> Modifier.isStatic(m.getModifiers()))) {
                return true;
            }
        }
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Class<?> member : c.getDeclaredClasses()) {
                if (isInner(member) && instanceClassMethods(member, allHere)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static final List<Class<? extends Annotation>> CLASS_METHODS = classMethodAnnotations();

    private static List<Class<? extends Annotation>> classMethodAnnotations() {
        List<Class<? extends Annotation>> found = new ArrayList<>(List.of(BeforeAll.class, AfterAll.class));
        // Optional: junit-jupiter-params may be absent or older than 5.13.
        for (String name : List.of("org.junit.jupiter.params.BeforeParameterizedClassInvocation",
                "org.junit.jupiter.params.AfterParameterizedClassInvocation")) {
            try {
                found.add(Class.forName(name, false, SandboxedExtension.class.getClassLoader()).asSubclass(Annotation.class));
            } catch (ClassNotFoundException | LinkageError | ClassCastException e) {
                // not on this class path
            }
        }
        return List.copyOf(found);
    }

    private static Class<?> outermost(Class<?> type) {
        Class<?> c = type;
        while (isInner(c)) {
            c = c.getEnclosingClass();
        }
        return c;
    }

    /**
     * {@code jvm = true} on the class (all its tests run in sandboxed JVMs): its {@code @BeforeAll} methods run in
     * each of them, and here only with {@code sandboxed.jvm.classMethods=both}.
     */
    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                         ExtensionContext context) throws Throwable {
        skipClassMethodIfOnlyThere(invocation, context);
    }

    /** As {@link #interceptBeforeAllMethod}, for {@code @AfterAll}. */
    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                        ExtensionContext context) throws Throwable {
        skipClassMethodIfOnlyThere(invocation, context);
    }

    private void skipClassMethodIfOnlyThere(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        Optional<Class<?>> testClass = context.getTestClass();
        if (acting(context) && testClass.isPresent() && jvmOnClasses(testClass.get())
                && !JvmTests.classMethodsHereToo(new ExtensionConfig(context))) {
            invocation.skip();
        } else {
            invocation.proceed();
        }
    }

    /** {@code jvm = true}: the sandboxed JVM runs the test's {@code @BeforeEach} methods, not this one. */
    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                          ExtensionContext context) throws Throwable {
        skipIfInJvm(invocation, context);
    }

    /**
     * {@code jvm = true}: runs the test (or lists the factory's dynamic tests) in its sandboxed JVM now, just before
     * the method's interception, and keeps the result for it. JUnit's {@code @Timeout} wraps that interception: there
     * it would also time the JVM's start, boot and a class-data dump. The sandboxed JVM applies the same
     * {@code @Timeout} (and the forwarded timeout parameters) to the test's own run.
     */
    @Override
    public void beforeTestExecution(ExtensionContext context) {
        if (!inJvm(context)) {
            return;
        }
        Object value = null;
        Throwable failure = null;
        try {
            if (AnnotationSupport.isAnnotated(context.getRequiredTestMethod(), TestFactory.class)) {
                value = JvmTests.listDynamic(context, settings(context, null));
            } else {
                JvmTests.run(context, settings(context, null));
            }
        } catch (Throwable t) { // thrown where the test method would have thrown it
            failure = t;
        }
        context.getStore(NAMESPACE).put(JVM_RESULT, new JvmResult(value, failure));
    }

    /** What the sandboxed JVM of a {@code jvm = true} test gave: see {@link #beforeTestExecution}. */
    private record JvmResult(Object value, Throwable failure) {
        Object get() throws Throwable {
            if (failure != null) {
                throw failure;
            }
            return value;
        }
    }

    private static final String JVM_RESULT = "jvm-result";

    /** The sandboxed JVM's result kept by {@link #beforeTestExecution}, or that JVM run now if none was kept. */
    private Object jvmResult(ExtensionContext context, boolean factory) throws Throwable {
        JvmResult kept = context.getStore(NAMESPACE).remove(JVM_RESULT, JvmResult.class);
        if (kept != null) {
            return kept.get();
        }
        if (factory) {
            return JvmTests.listDynamic(context, settings(context, null));
        }
        JvmTests.run(context, settings(context, null));
        return null;
    }

    /** {@code jvm = true}: the test ran in a sandboxed JVM, whose result is thrown here as if it ran in place. */
    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                    ExtensionContext context) throws Throwable {
        if (inJvm(context)) {
            invocation.skip();
            jvmResult(context, false);
        } else {
            invocation.proceed();
        }
    }

    /** {@code jvm = true}: each invocation runs in its own sandboxed JVM, which selects just that invocation. */
    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                            ExtensionContext context) throws Throwable {
        interceptTestMethod(invocation, invocationContext, context);
    }

    /**
     * {@code jvm = true}: the factory runs in a sandboxed JVM, which lists its dynamic tests without running them; the
     * same names and nesting are returned here, so each dynamic test gets the same unique id as there.
     */
    @Override
    public <T> T interceptTestFactoryMethod(Invocation<T> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                            ExtensionContext context) throws Throwable {
        if (inJvm(context)) {
            invocation.skip();
            @SuppressWarnings("unchecked") // Jupiter takes any stream of DynamicNode, whatever the method declares
            T nodes = (T) jvmResult(context, true);
            return nodes;
        }
        return invocation.proceed();
    }

    /**
     * {@code jvm = true}: each dynamic test runs in its own sandboxed JVM, which runs the factory again and selects the
     * dynamic test by its unique id. In a sandboxed JVM that lists a factory's dynamic tests, none runs.
     */
    @Override
    public void interceptDynamicTest(Invocation<Void> invocation, DynamicTestInvocationContext invocationContext,
                                     ExtensionContext context) throws Throwable {
        if (JvmTests.listing()) {
            invocation.skip();
            return;
        }
        Optional<ExtensionContext> factory = factory(context);
        if (factory.isPresent() && inJvm(factory.get())) {
            invocation.skip();
            JvmTests.runDynamic(context, factory.get(), settings(factory.get(), null));
        } else {
            invocation.proceed();
        }
    }

    /** The context of the test factory that made this dynamic test: the nearest one with a test method. */
    private static Optional<ExtensionContext> factory(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            if (c.get().getTestMethod().isPresent()) {
                return c;
            }
        }
        return Optional.empty();
    }

    /** {@code jvm = true}: the sandboxed JVM runs the test's {@code @AfterEach} methods, not this one. */
    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                         ExtensionContext context) throws Throwable {
        skipIfInJvm(invocation, context);
    }

    private void skipIfInJvm(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        if (inJvm(context)) {
            invocation.skip();
        } else {
            invocation.proceed();
        }
    }

    private boolean inJvm(ExtensionContext context) {
        return acting(context) && jvmDeclared(context);
    }

    /** Whether the test method or one of its classes says {@code jvm = true}; read without the other settings. */
    private static boolean jvmDeclared(ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            return false;
        }
        return AnnotationSupport.findAnnotation(context.getRequiredTestMethod(), Sandboxed.class).filter(Sandboxed::jvm).isPresent()
                || jvmOnClasses(context.getRequiredTestClass());
    }

    /** Whether the class, a superclass or an enclosing class says {@code jvm = true}: all its tests run there. */
    private static boolean jvmOnClasses(Class<?> testClass) {
        return classChain(testClass).stream()
                .anyMatch(c -> AnnotationSupport.findAnnotation(c, Sandboxed.class).filter(Sandboxed::jvm).isPresent());
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * The container called {@code settings.name()} for this context: class-scoped ones live in the class's store,
     * per-test ones in the test's. A DEFAULT scope reuses a class-scoped container of the same name unless the test
     * asks for different settings.
     */
    private Container resolve(ExtensionContext context, SandboxedSettings settings, Scope scope) {
        String name = settings.name();
        boolean classLevel = context.getTestMethod().isEmpty();
        ExtensionContext owner;
        if (scope == Scope.CLASS || (scope == Scope.DEFAULT && classLevel)) {
            owner = classContext(context);
        } else if (scope == Scope.TEST && classLevel) {
            throw new SandboxedConfigurationException("scope", "TEST for container '" + name + "', which is requested where "
                    + "no test runs (a @BeforeAll method, a static field or a per-class constructor); expected CLASS or "
                    + "DEFAULT there");
        } else if (scope == Scope.DEFAULT && !settings.refinedBelowClass()) {
            // Reuse the class's container only if this test asks for nothing different.
            Optional<Container> shared = classScoped(context, name);
            if (shared.isPresent()) {
                shared.get().awaitReady();
                return shared.get();
            }
            owner = context;
        } else {
            owner = context;
        }
        ExtensionConfig config = new ExtensionConfig(context);
        ContainerRegistry registry = registry(owner);
        Container container = registry.getOrCreate(settings,
                () -> ContainerFactory.create(context, config, settings, other -> visible(context, other),
                        (network, runtime) -> network(owner, network, runtime), owner.getTestMethod().isPresent()));
        // Registered first, so a service that never gets ready is in the diagnostics and cleaned up by its mode.
        container.awaitReady();
        return container;
    }

    /**
     * What {@link ContainerRegistry#getOrCreate} would refuse among the test's own fields and parameters, found before
     * any of them starts. One that declares nothing of its own and finds a class-scoped container uses that instead.
     */
    private static void requireOneDeclarationPerName(ExtensionContext context, List<SandboxedSettings> own) {
        Map<String, List<Annotation>> first = new HashMap<>();
        for (SandboxedSettings s : own) {
            if (!s.refinedBelowClass() && classScoped(context, s.name()).isPresent()) {
                continue;
            }
            List<Annotation> earlier = first.putIfAbsent(s.name(), s.declaredBelowClass());
            if (earlier != null) {
                ContainerRegistry.requireAlike(context.getDisplayName(), s.name(), earlier, s.declaredBelowClass());
            }
        }
    }

    /** The container called {@code name} that this context already has: its own or an enclosing scope's. */
    private static Optional<Container> visible(ExtensionContext context, String name) {
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            Optional<Container> found = ownRegistry(c).flatMap(r -> r.get(name));
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * The runtime network for {@code net:NAME} of a container that {@code owner} keeps: one an enclosing scope made
     * already (a test's container joins its class's), else one made for {@code owner}, closed with it.
     */
    private static Network network(ExtensionContext owner, String name, SandboxRuntime runtime) {
        for (ExtensionContext c = owner; c != null; c = c.getParent().orElse(null)) {
            Optional<Network> found = ownRegistry(c).flatMap(r -> r.networks().get(name));
            if (found.isPresent()) {
                return found.get();
            }
        }
        return registry(owner).networks().getOrCreate(name, runtime);
    }

    /** A class-scoped container called {@code name} of this class or an enclosing one. */
    private static Optional<Container> classScoped(ExtensionContext context, String name) {
        return context.getParent().flatMap(parent -> visible(parent, name));
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent()) {
            c = c.getParent().orElseThrow();
        }
        return c;
    }

    private static ContainerRegistry registry(ExtensionContext context) {
        // Keyed by unique id: a store lookup also sees the parents' stores, whose registries are other scopes'.
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(registryKey(context),
                k -> new ContainerRegistry(context.getDisplayName()), ContainerRegistry.class);
    }

    private static Optional<ContainerRegistry> ownRegistry(ExtensionContext context) {
        return Optional.ofNullable(context.getStore(NAMESPACE).get(registryKey(context), ContainerRegistry.class));
    }

    private static String registryKey(ExtensionContext context) {
        return "containers:" + context.getUniqueId();
    }

    /** Every container this context can see: its own, then those of enclosing scopes. */
    static List<Container> visibleContainers(ExtensionContext context) {
        Set<Container> all = new LinkedHashSet<>();
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            ownRegistry(c).ifPresent(r -> all.addAll(r.containers()));
        }
        return List.copyOf(all);
    }

    /** Settings from configuration, enclosing classes, the class hierarchy, the method and {@code element}. */
    private static SandboxedSettings settings(ExtensionContext context, AnnotatedElement element) {
        SandboxedSettings s = SandboxedSettings.fromConfig(new ExtensionConfig(context));
        for (Class<?> c : classChain(context.getRequiredTestClass())) {
            s.refine(c);
            for (Registration r : registrations(c)) {
                s.addCustomizers(r.source(), r.extension().orElseThrow(() -> new SandboxedConfigurationException(r.source(),
                        "it is not static; expected a static field, so that it acts before the test instance exists"))
                        .customizers);
            }
        }
        s.classLevelsApplied();
        context.getTestMethod().ifPresent(s::refine);
        if (element != null) {
            s.refine(element);
        }
        return s;
    }

    /** A {@code @RegisterExtension} field of type SandboxedExtension: its value if static (else empty). */
    private record Registration(String source, Optional<SandboxedExtension> extension) {
    }

    /** The SandboxedExtension fields registered with {@code @RegisterExtension} that {@code type} itself declares. */
    private static List<Registration> registrations(Class<?> type) {
        List<Registration> found = new ArrayList<>();
        for (Field f : type.getDeclaredFields()) {
            if (!f.isAnnotationPresent(RegisterExtension.class) || !SandboxedExtension.class.isAssignableFrom(f.getType())) {
                continue;
            }
            String source = "@RegisterExtension field " + type.getSimpleName() + "." + f.getName();
            if (!Modifier.isStatic(f.getModifiers())) {
                found.add(new Registration(source, Optional.empty()));
                continue;
            }
            try {
                f.setAccessible(true);
                found.add(new Registration(source, Optional.ofNullable((SandboxedExtension) f.get(null))));
            } catch (IllegalAccessException | RuntimeException e) {
                throw new SandboxedConfigurationException(source, "cannot be read (" + e + "); expected an accessible "
                        + "static field", e);
            }
        }
        return found;
    }

    /**
     * Whether this instance does the work for the context's test class: the innermost SandboxedExtension registered
     * on a static field if there is one, else the one {@code @Sandboxed} or {@code @ExtendWith} registered. Any other
     * stands aside, so that containers are made and parameters resolved once.
     */
    private boolean acting(ExtensionContext context) {
        if (JvmTests.isChild()) {
            return false; // a sandboxed test JVM: the test runs in place, its parent did the sandboxing
        }
        Optional<Class<?>> testClass = context.getTestClass();
        if (testClass.isEmpty()) {
            return true;
        }
        SandboxedExtension innermost = null;
        for (Class<?> c : classChain(testClass.get())) {
            for (Registration r : registrations(c)) {
                innermost = r.extension().orElse(innermost);
            }
        }
        return innermost == null || innermost == this;
    }

    /** Outermost enclosing class first, each with its superclasses first. */
    static List<Class<?>> classChain(Class<?> testClass) {
        List<Class<?>> outerFirst = new ArrayList<>();
        for (Class<?> c = testClass; c != null; c = isInner(c) ? c.getEnclosingClass() : null) {
            outerFirst.add(0, c);
        }
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c : outerFirst) {
            List<Class<?>> hierarchy = new ArrayList<>();
            for (Class<?> h = c; h != null && h != Object.class; h = h.getSuperclass()) {
                hierarchy.add(0, h);
            }
            chain.addAll(hierarchy);
        }
        return chain;
    }

    private static boolean isInner(Class<?> c) {
        return c.getEnclosingClass() != null && !Modifier.isStatic(c.getModifiers());
    }

    private static boolean declaredOnClasses(Class<?> testClass) {
        return classChain(testClass).stream().anyMatch(SandboxedSettings::declares);
    }

    private static List<Field> containerFields(Class<?> type, boolean statics) {
        List<Field> fields = AnnotationSupport.findAnnotatedFields(type, Sandboxed.class,
                f -> Modifier.isStatic(f.getModifiers()) == statics, HierarchyTraversalMode.TOP_DOWN);
        for (Field f : fields) {
            String field = "@Sandboxed field " + f.getDeclaringClass().getSimpleName() + "." + f.getName();
            if (f.getType() != Container.class) {
                throw new SandboxedConfigurationException(field, "its type " + f.getType().getName() + " must be of type "
                        + Container.class.getName() + "; expected a non-final field of type Container");
            }
            if (Modifier.isFinal(f.getModifiers())) {
                throw new SandboxedConfigurationException(field, "it must not be final; expected a non-final field of "
                        + "type Container");
            }
        }
        return fields;
    }

    private static void inject(Field field, Object instance, Container container) throws IllegalAccessException {
        field.setAccessible(true);
        field.set(instance, container);
    }

    private static void requireHost(ExtensionContext context, List<SandboxedSettings> needed) {
        if (needed.isEmpty()) {
            return;
        }
        ExtensionConfig config = new ExtensionConfig(context);
        for (SandboxedSettings s : needed) {
            HostSupport.require(config, Runtimes.runtime(context, config), s.limits());
        }
    }

    /**
     * A bad setting found while JUnit resolved a Container parameter reaches the test as itself, as it does from
     * every other place, not as the ParameterResolutionException JUnit wraps around it.
     */
    private static Throwable unwrap(Throwable throwable) {
        if (throwable instanceof ParameterResolutionException
                && (throwable.getCause() instanceof SandboxedConfigurationException
                        || throwable.getCause() instanceof SandboxUnavailableException
                        || throwable.getCause() instanceof ReadinessException)) {
            return throwable.getCause();
        }
        return throwable;
    }

    private static Throwable attachDiagnostics(ExtensionContext context, Throwable throwable) {
        if (throwable instanceof TestAbortedException) {
            return throwable;
        }
        for (Throwable s : throwable.getSuppressed()) {
            if (s instanceof SandboxDiagnostics) {
                return throwable;
            }
        }
        List<Container> containers = visibleContainers(context);
        if (containers.isEmpty()) {
            return throwable;
        }
        String report = FailureReport.render(containers);
        throwable.addSuppressed(new SandboxDiagnostics(report));
        publish(context, report);
        return throwable;
    }

    private static void publish(ExtensionContext context, String report) {
        try {
            context.publishReportEntry("sandboxed.diagnostics", report);
        } catch (RuntimeException e) {
            // Reporting must never hide the test's own failure.
        }
        if (!JUnitFeatures.PUBLISH_FILE) {
            return; // JUnit before 5.14 (logged once): the report entry and the suppressed exception have it all
        }
        try {
            context.publishFile("sandboxed-diagnostics.txt", MediaType.TEXT_PLAIN_UTF_8,
                    path -> Files.writeString(path, report));
        } catch (RuntimeException e) {
            // No output directory configured: the suppressed exception has it all.
        }
    }

    private static void report(ExtensionContext context, List<String> kept) {
        for (String line : kept) {
            try {
                context.publishReportEntry("sandboxed.kept", line);
            } catch (RuntimeException e) {
                // already logged by the registry
            }
        }
    }

    /** Lets a parameter's annotation be applied like an annotated element's. */
    private record AnnotationHolder(Annotation annotation) implements AnnotatedElement {
        @Override
        public <T extends Annotation> T getAnnotation(Class<T> type) {
            return type.isInstance(annotation) ? type.cast(annotation) : null;
        }

        @Override
        public Annotation[] getAnnotations() {
            return new Annotation[] {annotation};
        }

        @Override
        public Annotation[] getDeclaredAnnotations() {
            return getAnnotations();
        }
    }
}
