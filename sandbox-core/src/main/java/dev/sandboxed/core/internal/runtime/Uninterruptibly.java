package dev.sandboxed.core.internal.runtime;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounded waits that must run to their end in an interrupted thread too: closing a sandbox after an interrupt still
 * has to wait for its processes. The interrupt flag is set again afterwards.
 */
final class Uninterruptibly {
    private Uninterruptibly() {
    }

    /** Whether {@code f} completed (either way) within {@code limit}. */
    static boolean await(Future<?> f, Duration limit) {
        return waitUpTo(limit, left -> {
            try {
                f.get(left, TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                return true;
            } catch (TimeoutException e) {
                return false;
            }
            return true;
        });
    }

    /** Whether {@code latch} reached zero within {@code limit}. */
    static boolean await(CountDownLatch latch, Duration limit) {
        return waitUpTo(limit, left -> latch.await(left, TimeUnit.NANOSECONDS));
    }

    private interface TimedWait {
        boolean await(long nanos) throws InterruptedException;
    }

    private static boolean waitUpTo(Duration limit, TimedWait wait) {
        long deadline = System.nanoTime() + limit.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return wait.await(Math.max(0, deadline - System.nanoTime()));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
