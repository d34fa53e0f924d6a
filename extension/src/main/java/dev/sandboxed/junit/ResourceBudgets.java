package dev.sandboxed.junit;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.AssertionFailedError;

import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;

/**
 * A test's {@link ResourceBudget}, read from its classes (outermost first, superclasses before subclasses) and its
 * method, each attribute set nearer the method winning; and its check against the sandboxed JVM's usage.
 */
final class ResourceBudgets {
    private static final String CPU_EXPECTED = "a positive duration such as 500ms or 2s";
    private static final String PROCESSES_EXPECTED = "a positive whole number of processes and threads such as 64, "
            + "or 0 for no budget";

    /** One budget; each figure is absent when no budget is set for it. */
    record Budget(Optional<Limit<Long>> peakMemory, Optional<Limit<Duration>> cpuTime,
                  Optional<Limit<Long>> peakProcesses) {
        boolean isEmpty() {
            return peakMemory.isEmpty() && cpuTime.isEmpty() && peakProcesses.isEmpty();
        }
    }

    /** A budgeted figure and where it was declared, e.g. {@code @ResourceBudget(cpuTime = "2s") on Orders.parses}. */
    record Limit<T>(T value, String declared) {
    }

    /** No budget at all. */
    static final Budget NONE = new Budget(Optional.empty(), Optional.empty(), Optional.empty());

    private ResourceBudgets() {
    }

    /** The budget of {@code method} run for {@code testClass}; bad values are refused naming the attribute. */
    static Budget of(Class<?> testClass, Method method) {
        Optional<Limit<Long>> memory = Optional.empty();
        Optional<Limit<Duration>> cpu = Optional.empty();
        Optional<Limit<Long>> processes = Optional.empty();
        List<AnnotatedElement> places = new ArrayList<>(SandboxedExtension.classChain(testClass));
        places.add(method);
        for (AnnotatedElement place : places) {
            Optional<ResourceBudget> found = AnnotationSupport.findAnnotation(place, ResourceBudget.class);
            // A superclass's, found again through @Inherited, was taken (and named) at the superclass already.
            if (found.isEmpty() || place instanceof Class<?> c && c.getSuperclass() != null
                    && AnnotationSupport.findAnnotation(c.getSuperclass(), ResourceBudget.class).equals(found)) {
                continue;
            }
            ResourceBudget b = found.get();
            String where = " on " + name(place);
            if (!b.peakMemory().isBlank()) {
                memory = Optional.of(new Limit<>(bytes(b.peakMemory()), "@ResourceBudget(peakMemory = \"" + b.peakMemory()
                        + "\")" + where));
            }
            if (!b.cpuTime().isBlank()) {
                cpu = Optional.of(new Limit<>(cpu(b.cpuTime()), "@ResourceBudget(cpuTime = \"" + b.cpuTime() + "\")" + where));
            }
            if (b.peakProcesses() < 0) {
                throw new SandboxedConfigurationException("ResourceBudget.peakProcesses", "'" + b.peakProcesses()
                        + "' is negative; expected " + PROCESSES_EXPECTED);
            }
            if (b.peakProcesses() > 0) {
                processes = Optional.of(new Limit<>((long) b.peakProcesses(), "@ResourceBudget(peakProcesses = "
                        + b.peakProcesses() + ")" + where));
            }
        }
        return new Budget(memory, cpu, processes);
    }

    /**
     * What the sandboxed JVM used beyond {@code budget}, as one failure naming each figure, or nothing when it kept to
     * it. {@code end} is its sandbox's final usage, {@code cpuAtStart} the JVM's CPU time once booted, if it said.
     */
    static Optional<AssertionFailedError> check(Budget budget, ResourceUsage end, Optional<Duration> cpuAtStart) {
        List<String> over = new ArrayList<>();
        budget.peakMemory().ifPresent(limit -> {
            if (end.memoryPeakBytes() < 0) {
                over.add(notMeasured("peak memory", limit));
            } else if (end.memoryPeakBytes() > limit.value()) {
                String peak = FailureReport.bytes(end.memoryPeakBytes());
                // Rounded alike, the bytes tell them apart.
                over.add("peak memory " + (peak.equals(FailureReport.bytes(limit.value())) ? end.memoryPeakBytes() + " bytes"
                        : peak) + " is over " + FailureReport.bytes(limit.value()) + " (" + limit.declared() + ")");
            }
        });
        budget.cpuTime().ifPresent(limit -> {
            Duration whole = cpu(end);
            if (whole.isZero()) { // a JVM always uses some: zero is a host without the CPU controller's figures
                over.add(notMeasured("CPU time", limit));
                return;
            }
            Optional<Duration> test = testCpu(end, cpuAtStart);
            if (test.orElse(whole).compareTo(limit.value()) > 0) {
                over.add("CPU time " + seconds(test.orElse(whole)) + (test.isPresent() ? " after the JVM's boot ("
                        + seconds(whole) + " with it)" : " (the JVM's boot included: it did not report its own)")
                        + " is over " + seconds(limit.value()) + " (" + limit.declared() + ")");
            }
        });
        budget.peakProcesses().ifPresent(limit -> {
            if (end.pidsPeak() < 0) {
                over.add(notMeasured("peak processes", limit));
            } else if (end.pidsPeak() > limit.value()) {
                over.add("peak processes and threads " + end.pidsPeak() + " is over " + limit.value() + " ("
                        + limit.declared() + ")");
            }
        });
        if (over.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new AssertionFailedError("the sandboxed JVM went over its resource budget: "
                + String.join("; ", over) + "\nusage: " + FailureReport.usage(end)));
    }

    /** User plus system CPU time. */
    static Duration cpu(ResourceUsage u) {
        return u.cpuUser().plus(u.cpuSystem());
    }

    /**
     * The sandbox's CPU time after the JVM got its test: its whole CPU time less what the JVM said its boot took (cut
     * to the whole: the figure comes from the sandbox). Absent without either figure.
     */
    static Optional<Duration> testCpu(ResourceUsage end, Optional<Duration> cpuAtStart) {
        Duration whole = cpu(end);
        if (whole.isZero()) {
            return Optional.empty();
        }
        return cpuAtStart.map(start -> whole.minus(start.compareTo(whole) > 0 ? whole : start));
    }

    private static String notMeasured(String what, Limit<?> limit) {
        return what + " cannot be checked (" + limit.declared() + "): this host does not measure it for the sandbox (no "
                + "cgroup; run as root or set sandboxed.cgroup.parent to a delegated cgroup)";
    }

    private static long bytes(String text) {
        long value;
        try {
            value = Sizes.parseBytes("ResourceBudget.peakMemory", text);
        } catch (SpecException e) {
            throw SandboxedConfigurationException.of("ResourceBudget.peakMemory", e, SandboxedSettings.SIZE_EXPECTED);
        }
        if (value <= 0) {
            throw new SandboxedConfigurationException("ResourceBudget.peakMemory", "'" + text + "' is not positive; expected "
                    + SandboxedSettings.SIZE_EXPECTED + ", or \"\" for no budget");
        }
        return value;
    }

    private static Duration cpu(String text) {
        try {
            return Sizes.parseDuration("ResourceBudget.cpuTime", text); // refuses 0 and less too
        } catch (SpecException e) {
            throw SandboxedConfigurationException.of("ResourceBudget.cpuTime", e, CPU_EXPECTED);
        }
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f s", d.toNanos() / 1e9);
    }

    private static String name(AnnotatedElement place) {
        return place instanceof Method m ? m.getDeclaringClass().getSimpleName() + "." + m.getName()
                : ((Class<?>) place).getSimpleName();
    }
}
