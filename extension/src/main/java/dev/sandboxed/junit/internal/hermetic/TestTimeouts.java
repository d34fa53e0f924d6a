package dev.sandboxed.junit.internal.hermetic;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * The timeouts JUnit applies to a test in its sandboxed JVM, as JUnit's own {@code TimeoutExtension} finds them (it is
 * internal, so its rules are repeated here): so the parent can kill a JVM hung where JUnit cannot reach (a class
 * initializer, an uninterruptible loop under {@code SAME_THREAD}) soon after JUnit would have failed the test.
 */
public final class TestTimeouts {
    /** The environment variables whose options a JVM ({@code JAVA_TOOL_OPTIONS}, {@code _JAVA_OPTIONS}) or {@code java} reads. */
    private static final List<String> OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    /** The configuration parameter adding the JVM's start and untimed code to the test's timeouts. */
    public static final String ALLOWANCE = "sandboxed.jvm.timeoutAllowance";
    private static final String PREFIX = "junit.jupiter.execution.timeout.";
    /** JUnit's TimeoutDurationParser: a positive whole number, an optional space and unit, seconds without one. */
    private static final Pattern DURATION = Pattern.compile("([1-9]\\d*) ?((?:[n\u03bcm]?s)|m|h|d)?",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Map<String, TimeUnit> UNITS = Map.of("ns", TimeUnit.NANOSECONDS, "\u03bcs", TimeUnit.MICROSECONDS,
            "ms", TimeUnit.MILLISECONDS, "s", TimeUnit.SECONDS, "m", TimeUnit.MINUTES, "h", TimeUnit.HOURS, "d", TimeUnit.DAYS);

    private TestTimeouts() {
    }

    /** The test method's timeout and the sum of those of its lifecycle methods that have one (else zero). */
    public record Timeouts(Duration method, Duration lifecycle) {
        Duration total() {
            return plus(method, lifecycle);
        }
    }

    /**
     * How long the parent lets the JVM run: {@code sandbox} ({@code @Sandboxed(timeout)}), or less, the test's
     * {@code junit} timeouts plus {@code allowance}.
     */
    public record Bound(Duration sandbox, Optional<Timeouts> junit, Duration allowance) {
        public Duration timeout() {
            return junit.map(j -> plus(j.total(), allowance)).filter(d -> d.compareTo(sandbox) < 0).orElse(sandbox);
        }

        /** Why a JVM killed at {@link #timeout()} was killed; {@code when} says before or while the test ran. */
        public String killed(String when) {
            if (junit.isEmpty() || timeout().equals(sandbox)) {
                return "the sandboxed JVM did not finish within " + shown(sandbox) + " and was killed " + when
                        + " (timeout; set @Sandboxed(timeout) or sandboxed.timeout)";
            }
            Timeouts j = junit.get();
            return "the sandboxed JVM did not finish within the test's timeout of " + shown(j.method())
                    + (j.lifecycle().isZero() ? "" : " and its lifecycle methods' of " + shown(j.lifecycle()))
                    + " plus the " + shown(allowance) + " allowance (" + ALLOWANCE + ") and was killed " + when
                    + " (raise " + ALLOWANCE + " if its start or untimed set-up needs longer)";
        }
    }

    /**
     * The JUnit timeouts of {@code context}'s test in the JVM that runs {@code owner}'s method, if JUnit bounds it
     * there; none for a dynamic test ({@code context} is not {@code owner}): JUnit bounds its factory, not it.
     */
    public static Optional<Timeouts> of(ExtensionContext context, ExtensionContext owner,
                                        Function<String, Optional<String>> config, List<String> jvmOptions) {
        if (context != owner) {
            return Optional.empty();
        }
        // JUnit stores a class's @Timeout in its context, which the contexts below inherit: the nearest wins.
        List<Class<?>> classes = new ArrayList<>();
        for (ExtensionContext c = owner; c != null; c = c.getParent().orElse(null)) {
            if (c.getElement().orElse(null) instanceof Class<?> type && (classes.isEmpty() || classes.get(classes.size() - 1) != type)) {
                classes.add(type);
            }
        }
        return of(owner.getRequiredTestMethod(), classes, config, jvmOptions);
    }

    /**
     * As {@link #of(ExtensionContext, ExtensionContext, Function, List)}: {@code classes} are the test's class and
     * those enclosing it in the test tree (its {@code @Nested} ones), innermost first.
     */
    static Optional<Timeouts> of(Method method, List<Class<?>> classes, Function<String, Optional<String>> config,
                                 List<String> jvmOptions) {
        if (disabled(config, jvmOptions)) {
            return Optional.empty();
        }
        Optional<Timeout> annotation = AnnotationSupport.findAnnotation(method, Timeout.class);
        for (int i = 0; annotation.isEmpty() && i < classes.size(); i++) {
            annotation = AnnotationSupport.findAnnotation(classes.get(i), Timeout.class);
        }
        String kind = AnnotationSupport.isAnnotated(method, TestFactory.class) ? "testfactory"
                : AnnotationSupport.isAnnotated(method, TestTemplate.class) ? "testtemplate" : "test";
        Optional<Duration> own = annotation.isPresent() ? annotation.flatMap(TestTimeouts::duration)
                : configured(config, kind + ".method", "testable.method", "");
        return own.map(d -> new Timeouts(d, lifecycle(classes, config)));
    }

    /**
     * The options the sandboxed JVM runs with, for telling whether a debugger may stop it: {@code options} and those in
     * the environment variables its JVM and launcher read ({@code environment} is the sandbox's), where a debugger's
     * agent is often given.
     */
    public static List<String> launchOptions(List<String> options, Map<String, String> environment) {
        List<String> all = new ArrayList<>(options);
        for (String variable : OPTION_VARIABLES) {
            String value = environment.getOrDefault(variable, "").strip();
            if (!value.isEmpty()) {
                all.addAll(List.of(value.split("\\s+")));
            }
        }
        return all;
    }

    /**
     * JUnit's {@code junit.jupiter.execution.timeout.mode} (anything but these fails the test there, timed), and a
     * JVM under a debugger: JUnit never kills one at a breakpoint in place, so neither does the bound here.
     */
    private static boolean disabled(Function<String, Optional<String>> config, List<String> jvmOptions) {
        String mode = config.apply(PREFIX + "mode").orElse("enabled");
        boolean debug = jvmOptions.stream().anyMatch(o -> o.startsWith("-agentlib:jdwp") || o.startsWith("-Xrunjdwp"));
        return mode.equals("disabled") || debug;
    }

    /** The summed timeouts of the lifecycle methods that run around the test there and have one. */
    private static Duration lifecycle(List<Class<?>> classes, Function<String, Optional<String>> config) {
        Duration sum = Duration.ZERO;
        for (Class<?> c : classes) {
            sum = plus(sum, lifecycle(c, BeforeAll.class, "beforeall", config));
            sum = plus(sum, lifecycle(c, BeforeEach.class, "beforeeach", config));
            sum = plus(sum, lifecycle(c, AfterEach.class, "aftereach", config));
            sum = plus(sum, lifecycle(c, AfterAll.class, "afterall", config));
        }
        return sum;
    }

    private static Duration lifecycle(Class<?> c, Class<? extends Annotation> kind, String name,
                                      Function<String, Optional<String>> config) {
        Duration sum = Duration.ZERO;
        for (Method m : AnnotationSupport.findAnnotatedMethods(c, kind, HierarchyTraversalMode.TOP_DOWN)) {
            // Only its own @Timeout: JUnit applies a class's to the testable methods, not to these.
            Optional<Timeout> annotation = AnnotationSupport.findAnnotation((AnnotatedElement) m, Timeout.class);
            Optional<Duration> d = annotation.isPresent() ? annotation.flatMap(TestTimeouts::duration)
                    : configured(config, name + ".method", "lifecycle.method", "");
            sum = plus(sum, d.orElse(Duration.ZERO));
        }
        return sum;
    }

    /** The first of {@code junit.jupiter.execution.timeout.KEY.default} that JUnit can parse; bad ones it ignores. */
    private static Optional<Duration> configured(Function<String, Optional<String>> config, String... keys) {
        for (String key : keys) {
            Optional<Duration> d = config.apply(PREFIX + (key.isEmpty() ? "" : key + ".") + "default").flatMap(TestTimeouts::parse);
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    /** A duration as JUnit parses it ({@code 5 s}, {@code 500ms}, {@code 2m}, {@code 10}); empty where JUnit ignores it. */
    static Optional<Duration> parse(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            long value = Long.parseLong(m.group(1));
            TimeUnit unit = m.group(2) == null ? TimeUnit.SECONDS : UNITS.get(m.group(2).toLowerCase(Locale.ENGLISH));
            // The micro sign matches the pattern's mu but is no unit: JUnit refuses a null one, and ignores it.
            return Optional.ofNullable(unit).map(u -> Duration.ofNanos(u.toNanos(value)));
        } catch (NumberFormatException e) {
            return Optional.empty(); // JUnit logs and ignores a number beyond a long
        }
    }

    /** A {@code @Timeout}'s duration; JUnit refuses one not positive (the test fails there), which bounds nothing. */
    private static Optional<Duration> duration(Timeout t) {
        return t.value() > 0 ? Optional.of(Duration.ofNanos(t.unit().toNanos(t.value()))) : Optional.empty();
    }

    /** A sum that stops at the largest duration instead of overflowing (TimeUnit.toNanos saturates too). */
    private static Duration plus(Duration a, Duration b) {
        try {
            return Duration.ofNanos(Math.addExact(a.toNanos(), b.toNanos()));
        } catch (ArithmeticException e) {
            return Duration.ofNanos(Long.MAX_VALUE);
        }
    }

    /** {@code 8 s}, {@code 1500 ms}, {@code 250 ns}: as precise as it needs. */
    static String shown(Duration d) {
        long nanos = d.toNanos();
        if (nanos % 1_000_000 != 0) {
            return nanos % 1000 == 0 ? nanos / 1000 + " \u03bcs" : nanos + " ns";
        }
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
