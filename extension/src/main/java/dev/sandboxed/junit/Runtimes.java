package dev.sandboxed.junit;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.SandboxRuntime;

/**
 * The sandbox runtime for a test run and the cap on concurrent sandboxes, both kept in the root store so every
 * test of one run (including parallel ones) shares them.
 */
final class Runtimes {
    private static final long PERMIT_WAIT_MINUTES = 10;

    private Runtimes() {
    }

    /** The shared runtime when the configuration matches the system properties, else one owned by this run. */
    static SandboxRuntime runtime(ExtensionContext context, ExtensionConfig config) {
        RuntimeConfig wanted = config.runtimeConfig();
        if (wanted.equals(RuntimeConfig.fromSystemProperties())) {
            return SandboxRuntime.shared();
        }
        return context.getRoot().getStore(SandboxedExtension.NAMESPACE)
                .getOrComputeIfAbsent("runtime:" + wanted, k -> new OwnedRuntime(SandboxRuntime.create(wanted)), OwnedRuntime.class)
                .runtime();
    }

    /** The {@code sandboxed.maxConcurrent} permits of this run. */
    static Semaphore permits(ExtensionContext context, ExtensionConfig config) {
        int max = config.maxConcurrent();
        return context.getRoot().getStore(SandboxedExtension.NAMESPACE)
                .getOrComputeIfAbsent("permits", k -> new Semaphore(max, true), Semaphore.class);
    }

    /**
     * Takes one of the {@code sandboxed.maxConcurrent} permits; the returned action gives it back. When none is free,
     * the sandboxes started ahead give theirs back first: a test never waits for one of them.
     */
    static Runnable acquirePermit(ExtensionContext context, ExtensionConfig config) {
        int max = config.maxConcurrent();
        Semaphore permits = permits(context, config);
        try {
            if (permits.tryAcquire()) {
                return permits::release;
            }
            PreparedAhead.of(context).discardAll();
            if (!permits.tryAcquire(PERMIT_WAIT_MINUTES, TimeUnit.MINUTES)) {
                throw new SandboxUnavailableException("waited " + PERMIT_WAIT_MINUTES + " minutes for one of the "
                        + max + " sandboxes allowed at once (" + ExtensionConfig.MAX_CONCURRENT + "); does one test need more?");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxUnavailableException("interrupted while waiting for a sandbox permit");
        }
        return permits::release;
    }

    /** A runtime created for a configuration other than the system properties; closed at the end of the run. */
    // CloseableResource is deprecated since JUnit 5.13 (AutoCloseable suffices there); older 5.x versions need it.
    @SuppressWarnings("deprecation")
    record OwnedRuntime(SandboxRuntime runtime) implements AutoCloseable, ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            runtime.close();
        }
    }
}
