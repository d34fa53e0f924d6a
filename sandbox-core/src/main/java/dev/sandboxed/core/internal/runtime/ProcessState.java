package dev.sandboxed.core.internal.runtime;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.result.SandboxInterruptedException;

/**
 * What the init reported about one process so far: its pid inside the sandbox once started, its exit status once
 * ended (or the reason it never started). Completed by whichever thread receives for the sandbox.
 */
public final class ProcessState {
    /** Where callers' exit callbacks run: they may block, use the sandbox or close it. */
    private static final ExecutorService EXIT_CALLBACKS = DaemonPool.named("sandboxed-exit-callback");

    private final int execId;
    private final List<String> command;
    private final Instant sentAt = Instant.now();
    private final CompletableFuture<Integer> pid = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private volatile boolean timedOut;
    private volatile SandboxException startFailure;

    ProcessState(int execId, List<String> command) {
        this.execId = execId;
        this.command = List.copyOf(command);
    }

    public int execId() {
        return execId;
    }

    public List<String> command() {
        return command;
    }

    /** When it was handed to the init. */
    public Instant sentAt() {
        return sentAt;
    }

    void started(int insidePid) {
        pid.complete(insidePid);
    }

    /** It never started: its start fails with {@code e}, its exit is 127 or 126 as a shell would give. */
    void failedToStart(SandboxException e) {
        startFailure = e;
        pid.completeExceptionally(e);
        exit.complete(ExitStatus.notStarted(e.step(), e.errno()));
    }

    /**
     * {@code stderr} of a finished process, followed by why it never started (step and errno) if it did not: what a
     * shell would print for a command it cannot run.
     */
    public byte[] stderrWithStartFailure(byte[] stderr) {
        SandboxException e = startFailure;
        if (e == null) {
            return stderr;
        }
        byte[] line = ("sandboxed: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] both = Arrays.copyOf(stderr, stderr.length + line.length);
        System.arraycopy(line, 0, both, stderr.length, line.length);
        return both;
    }

    /** Whether it has not been reported started (nor failed to start) yet. */
    boolean startPending() {
        return !pid.isDone();
    }

    void failedToStartIfPending(SandboxException e) {
        pid.completeExceptionally(e);
    }

    void exited(ExitStatus status) {
        exit.complete(timedOut && status.reason() == ExitReason.SIGNALED ? status.withReason(ExitReason.TIMED_OUT) : status);
    }

    /** It is being killed for running too long: its exit reason becomes TIMED_OUT. */
    void markTimedOut() {
        timedOut = true;
    }

    /** Waits for the start-up answer; throws the start failure (e.g. the command was not found). */
    public void awaitStart() {
        try {
            pid.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new SandboxException("start " + String.join(" ", command), e.getCause());
        } catch (InterruptedException e) {
            throw SandboxInterruptedException.restoringFlag("interrupted while starting " + String.join(" ", command), e);
        }
    }

    /** The pid inside the sandbox; -1 until it started. */
    public int pidNow() {
        return pid.getNow(-1);
    }

    public boolean isAlive() {
        return !exit.isDone();
    }

    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /**
     * The exit for a caller, as the JDK's {@code Process.onExit()} gives it: a future of its own (completing it changes
     * nothing here), done at once for an ended process, else completed on a pool thread. The thread that completes
     * {@link #exit()} receives the sandbox's messages; a callback run there that execs in the sandbox or closes it
     * would wait for its own thread.
     */
    public CompletableFuture<ExitStatus> exitForCaller() {
        ExitStatus now = exit.getNow(null);
        if (now != null) {
            return CompletableFuture.completedFuture(now);
        }
        return exit.thenApplyAsync(status -> status, EXIT_CALLBACKS);
    }

    /** Waits until the process ends; one that never started ended with 127 or 126 (see {@link #awaitStart}). */
    public ExitStatus waitFor() {
        try {
            return exit.get();
        } catch (ExecutionException | InterruptedException e) {
            throw waitFailed(e);
        }
    }

    /** Waits at most {@code timeout}; empty if the process is still running. */
    public Optional<ExitStatus> waitFor(Duration timeout) {
        try {
            return Optional.of(exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException | InterruptedException e) {
            throw waitFailed(e);
        }
    }

    /** The start failure a wait ends with, or the interruption of the waiting thread. */
    private RuntimeException waitFailed(Exception e) {
        if (e instanceof InterruptedException ie) {
            return SandboxInterruptedException.restoringFlag("interrupted while waiting for " + String.join(" ", command), ie);
        }
        return e.getCause() instanceof RuntimeException re ? re : new SandboxException("wait", e.getCause());
    }

    @Override
    public String toString() {
        return "process " + pidNow() + " `" + String.join(" ", command) + "`" + (isAlive() ? " (running)" : " (" + exit.getNow(null) + ")");
    }
}
