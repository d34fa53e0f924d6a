package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.spec.ProcessSpec;

/** The sandbox a wait runs against and the process it watches, with the poll loop every wait shares. */
final class WaitTarget {
    static final int TAIL_LINES = 20;
    /** How long the last bytes of an exited process may take to arrive before its log is judged. */
    private static final long DRAIN_NANOS = 1_000_000_000L;
    /** How long an exec refused at the end of a sandbox waits for the runtime to see that end. */
    private static final long ENDING_NANOS = 2_000_000_000L;

    private final Sandbox sandbox;
    private final Optional<ProcessLog> log;
    private final long started = System.nanoTime();

    WaitTarget(Sandbox sandbox, Optional<ProcessLog> log) {
        this.sandbox = sandbox;
        this.log = log;
    }

    Sandbox sandbox() {
        return sandbox;
    }

    Optional<ProcessLog> log() {
        return log;
    }

    /** One check; true when the wait is met. */
    interface Probe {
        boolean ready() throws InterruptedException;
    }

    /**
     * Runs {@code probe} until it is met, pausing {@code pauseNanos} between tries (less when the watched process
     * writes); fails when the watched process exits or the sandbox ends first, or at the deadline. {@code progress}
     * says how far it got, for the failure message.
     */
    void poll(WaitStrategy wait, long deadline, long pauseNanos, Probe probe, Supplier<String> progress)
            throws InterruptedException {
        while (true) {
            if (probe.ready()) {
                return;
            }
            if (ended()) {
                // What the process wrote just before it exited may still be in the pipe.
                if (log.isPresent() && log.get().awaitClosed(DRAIN_NANOS) && probe.ready()) {
                    return;
                }
                throw failure(wait, endedReason() + withProgress(progress));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw failure(wait, "timed out after " + seconds(wait.timeout()) + withProgress(progress));
            }
            pause(Math.min(left, pauseNanos), false);
        }
    }

    private static String withProgress(Supplier<String> progress) {
        String p = progress.get();
        return p == null || p.isEmpty() ? "" : "; " + p;
    }

    /** Sleeps, waking early when the watched process writes unless {@code steady}. */
    void pause(long nanos, boolean steady) throws InterruptedException {
        if (!steady && log.isPresent() && !log.get().isClosed()) {
            log.get().awaitChange(nanos);
        } else if (nanos > 0) {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        }
    }

    /** Whether the watched process exited, or the sandbox ended. */
    boolean ended() {
        return log.map(l -> !l.process().isAlive()).orElse(false) || sandbox.state() != Sandbox.State.RUNNING;
    }

    String endedReason() {
        if (log.isPresent() && !log.get().process().isAlive()) {
            return "the process ended first: it " + exitOf(log.get().process());
        }
        return "the sandbox ended first";
    }

    private static String exitOf(SandboxProcess p) {
        ExitStatus status = p.waitFor(Duration.ZERO).orElse(null); // onExit() would leave a callback behind
        return status == null ? "running" : status.toString();
    }

    /** Runs a check command; an exec refused because the sandbox ended is that ending, reported as such. */
    ExecResult exec(WaitStrategy wait, ProcessSpec process) {
        try {
            return sandbox.exec(process);
        } catch (RuntimeException e) {
            if (endsSoon()) {
                throw failure(wait, endedReason());
            }
            throw e;
        }
    }

    /**
     * Whether the sandbox or the watched process has ended, or does within a moment: an exec can meet the closed
     * socket of an init that just exited before the runtime has read its exit.
     */
    private boolean endsSoon() {
        long deadline = System.nanoTime() + ENDING_NANOS;
        while (!ended()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return ended();
            }
        }
        return true;
    }

    ReadinessException failure(WaitStrategy wait, String reason) {
        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        String state;
        List<String> lines = List.of();
        if (log.isPresent()) {
            SandboxProcess p = log.get().process();
            state = "process `" + String.join(" ", p.command()) + "`: " + exitOf(p);
            lines = log.get().tail(TAIL_LINES);
        } else {
            state = sandbox.toString();
        }
        return new ReadinessException(wait.toString(), reason, waited, state, lines);
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
