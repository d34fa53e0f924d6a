package dev.sandboxed.junit;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Changes a container's {@link SandboxSpec} with the core's typed builder: everything a spec can express that
 * {@link Sandboxed} has no attribute for (capabilities, rlimits, id mapping, namespaces, nested user namespaces,
 * memory.high, swap, CPU weight, cpuset, IO limits, seccomp denial reports ...).
 *
 * <pre>{@code
 * static class WithPtrace implements SandboxCustomizer {
 *     public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
 *         spec.addCapability(Capability.SYS_PTRACE).rlimit(Rlimit.NOFILE, 4096, 4096);
 *     }
 * }
 *
 * @Sandboxed(memory = "256m", customizers = WithPtrace.class)
 * class DebuggerTest { ... }
 * }</pre>
 *
 * <p>Customizers run when a container is created, after the string settings of every level were applied to the
 * builder, so what they set wins; those of outer levels ({@code sandboxed.customizers}, enclosing classes,
 * superclasses, class) run before those of inner ones (method, field, parameter). Name them in
 * {@link Sandboxed#customizers()} or {@code sandboxed.customizers} (each class is instantiated through its
 * no-argument constructor, which need not be public), or register them in code with
 * {@link SandboxedExtension#builder()}. A class may be instantiated more than once;
 * {@link #customize} runs once per container and should only configure the builder. Anything it throws fails the
 * test with a {@link SandboxedConfigurationException} for field {@code customizers}.
 *
 * <p>{@code spec.limits(...)} replaces the limits that {@code memory}, {@code cpus} and {@code pids} set; to add to
 * them, start from what the builder has so far: {@code spec.limits(spec.build().limits().withMemoryHigh(48 << 20))}.
 */
@FunctionalInterface
public interface SandboxCustomizer {
    /**
     * @param spec    the builder, with this container's settings applied; change it in place
     * @param context the test (or, for a class-scoped container, the class) the container is made for
     */
    void customize(SandboxSpec.Builder spec, ExtensionContext context) throws Exception;

    /**
     * Java's poststart hook: runs once the container is started (its service, if any, started and ready), before the
     * test sees it; what it throws closes the container and fails the test. Customizers run outer levels first.
     *
     * @param container the started container
     */
    default void afterStart(Container container) throws Exception {
    }

    /**
     * Java's poststop hook: runs once the container was closed (its final usage is there, {@code exec} no longer
     * works); what it throws fails the test after every callback ran. Not for a container kept by its
     * {@link CleanupMode}, which is not closed.
     *
     * @param container the closed container
     */
    default void afterClose(Container container) throws Exception {
    }
}
