package dev.sandboxed.core.internal.runtime;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** Daemon threads that read process output, reused across execs so an exec does not pay for thread start-up. */
public final class Drainers {
    private static final ExecutorService POOL = DaemonPool.named("sandbox-output");

    private Drainers() {
    }

    public static <T> Future<T> submit(Callable<T> task) {
        return POOL.submit(task);
    }
}
