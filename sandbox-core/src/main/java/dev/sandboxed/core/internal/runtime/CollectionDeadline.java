package dev.sandboxed.core.internal.runtime;

import java.time.Duration;

import dev.sandboxed.core.spec.ProcessSpec;

/**
 * A process's timeout as the deadline of a loop that collects it on the calling thread: at the deadline the process
 * and its process group are killed, and collection stops a grace later (what escaped the kill may hold a pipe).
 */
final class CollectionDeadline {
    /** After the kill at the deadline: how long what the kill freed may take to drain before collection stops. */
    static final Duration KILL_GRACE = Duration.ofSeconds(2);

    private final InitConnection connection;
    private final ProcessState process;
    private final long deadline;
    private long stopAt = Long.MAX_VALUE;
    private boolean timedOut;

    CollectionDeadline(InitConnection connection, ProcessState process, ProcessSpec spec) {
        this.connection = connection;
        this.process = process;
        this.deadline = spec.timeout().map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
    }

    /** Kills the process once its deadline passed; false when the grace after that is over too (stop collecting). */
    boolean keepCollecting() {
        long now = System.nanoTime();
        if (!timedOut && now >= deadline) {
            connection.killForTimeout(process);
            timedOut = true;
            stopAt = now + KILL_GRACE.toNanos();
        }
        return now < stopAt;
    }

    boolean timedOut() {
        return timedOut;
    }

    /** How long one wait may last: until the deadline (or the grace's end), at most the interrupt check interval. */
    long waitMillis() {
        long until = timedOut ? stopAt : deadline;
        if (until == Long.MAX_VALUE) {
            return InitConnection.INTERRUPT_CHECK_MILLIS;
        }
        long left = Math.max(0, (until - System.nanoTime() + 999_999) / 1_000_000); // rounded up
        return Math.min(left, InitConnection.INTERRUPT_CHECK_MILLIS);
    }
}
