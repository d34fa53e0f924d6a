package dev.sandboxed.core.internal.runtime;

import java.util.function.Supplier;

/**
 * Starts that must not make the runtime prestart the next sandbox of their spec: the JUnit extension prepares the
 * next test's container itself (within its concurrency cap), so the runtime's own would be a second one ahead.
 */
public final class PrestartOptOut {
    private static final ThreadLocal<Boolean> ACTIVE = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private PrestartOptOut() {
    }

    /** Runs {@code start} on this thread with prestarting off for the starts it makes. */
    public static <T> T during(Supplier<T> start) {
        if (ACTIVE.get()) {
            return start.get();
        }
        ACTIVE.set(Boolean.TRUE);
        try {
            return start.get();
        } finally {
            ACTIVE.remove(); // nothing stays with a thread of the caller's pool
        }
    }

    /** Whether a start on this thread is within {@link #during}. */
    public static boolean active() {
        return ACTIVE.get();
    }
}
