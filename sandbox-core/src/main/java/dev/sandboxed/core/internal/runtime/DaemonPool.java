package dev.sandboxed.core.internal.runtime;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandboxed.core.internal.os.Native;

/**
 * Cached pools of daemon threads. Starting a thread costs a quarter of a millisecond or more on a small VM,
 * a noticeable share of a sandbox's start-up, so per-sandbox and per-exec work reuses idle threads.
 */
public final class DaemonPool {
    private DaemonPool() {
    }

    /**
     * A single daemon thread for work that may wait: it runs at nice 10, so the kernel gives the CPU to the
     * sandboxes and the test first and this thread the gaps (on Linux, a thread's nice value is its own).
     */
    static ExecutorService background(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(() -> {
                Native.lowerThreadPriority();
                r.run();
            }, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Waits until what was handed to a single-thread {@code worker} so far is done; at once when it is shut down. */
    static void awaitIdle(ExecutorService worker) {
        try {
            worker.submit(() -> { }).get();
        } catch (RejectedExecutionException shutDown) {
            // nothing more runs there
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lets {@code worker} finish what it was given, up to {@code seconds}; whether it did. */
    static boolean shutdownAndWait(ExecutorService worker, long seconds) {
        worker.shutdown();
        try {
            return worker.awaitTermination(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A pool whose threads are named {@code prefix-N}; idle threads end after a minute. */
    public static ExecutorService named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
