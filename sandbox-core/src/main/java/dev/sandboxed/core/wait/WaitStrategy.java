package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import dev.sandboxed.core.Sandbox;

/**
 * What a sandbox must show before it counts as ready, and for how long to wait for it: made by {@link Wait}, run with
 * {@link #awaitOn(Sandbox, ProcessLog)}. Values: immutable, with a {@link #toString()} that says what is awaited.
 * Every wait fails at once, without waiting out its timeout, when the watched process exits (or, without one, the
 * sandbox ends) before it is met.
 */
public abstract sealed class WaitStrategy permits PortWait, HttpWait, LogLineWait, CommandWait, HealthcheckWait, AllOfWait {
    /** Used unless {@link #withTimeout} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final Duration timeout;

    WaitStrategy(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " is not positive");
        }
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The same wait with another timeout. */
    public abstract WaitStrategy withTimeout(Duration timeout);

    /**
     * Waits until the sandbox is ready, watching the sandbox's state only; for waits that need no output (a log-line
     * wait needs {@link #awaitOn(Sandbox, ProcessLog)}).
     *
     * @throws ReadinessException when it is not ready in time, or the sandbox ended first
     */
    public final void awaitOn(Sandbox sandbox) {
        Objects.requireNonNull(sandbox, "sandbox");
        run(new WaitTarget(sandbox, Optional.empty()));
    }

    /**
     * Waits until the sandbox is ready, watching {@code process}: its exit fails the wait at once, and its output is
     * what log-line waits read and what a failure shows.
     *
     * @throws ReadinessException when it is not ready in time, or the process exited first
     */
    public final void awaitOn(Sandbox sandbox, ProcessLog process) {
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(process, "process");
        run(new WaitTarget(sandbox, Optional.of(process)));
    }

    private void run(WaitTarget target) {
        try {
            await(target, System.nanoTime() + timeout.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw target.failure(this, "interrupted");
        }
    }

    /** Returns once ready; throws {@link ReadinessException} (through {@code target.failure}) otherwise. */
    abstract void await(WaitTarget target, long deadlineNanos) throws InterruptedException;

    /** The deadline of this wait when it starts now as part of a wait ending at {@code outer}. */
    final long deadline(long outer) {
        long own = System.nanoTime() + timeout.toNanos();
        return own - outer < 0 ? own : outer;
    }

    /** What is awaited, e.g. {@code a TCP socket listening on port 5432}. */
    @Override
    public abstract String toString();
}
