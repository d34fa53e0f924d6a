package dev.sandboxed.core.process;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cached pools of daemon threads. Starting a thread costs a quarter of a millisecond or more on a small VM,
 * a noticeable share of a sandbox's start-up, so per-sandbox and per-exec work reuses idle threads.
 */
final class DaemonPool {
    private DaemonPool() {
    }

    /** A pool whose threads are named {@code prefix-N}; idle threads end after a minute. */
    static ExecutorService named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
