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
            if (found.isEmpty()) {
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
     * it. {@code end} is its sandbox's final usage, {@code atStart} the usage when its test started, if that came.
     */
    static Optional<AssertionFailedError> check(Budget budget, ResourceUsage end, Optional<ResourceUsage> atStart) {
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
            if (end.equals(ResourceUsage.NOT_AVAILABLE)) {
                over.add(notMeasured("CPU time", limit));
                return;
            }
            Duration whole = cpu(end);
            // The usage at the test's start comes over the events pipe; without it the JVM's start counts too.
            Duration test = atStart.map(s -> whole.minus(cpu(s))).orElse(whole);
            if (test.compareTo(limit.value()) > 0) {
                over.add("CPU time " + seconds(test) + " from the test's start" + (atStart.isPresent()
                        ? " (" + seconds(whole) + " with the JVM's start)" : " (the JVM's start included: its start was not"
                        + " reported)") + " is over " + seconds(limit.value()) + " (" + limit.declared() + ")");
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
