package dev.sandboxed.core.process;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads that read process output, reused across execs so an exec does not pay for thread start-up. */
final class Drainers {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sandbox-output-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private Drainers() {
    }

    static <T> Future<T> submit(Callable<T> task) {
        return POOL.submit(task);
    }
}
