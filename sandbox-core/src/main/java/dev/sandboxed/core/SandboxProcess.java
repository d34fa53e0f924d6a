package dev.sandboxed.core;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;

/**
 * A process running inside a sandbox: its streams (when piped), its pid inside the sandbox, waiting and
 * signalling. Obtained from {@link Sandbox#spawn}.
 */
public final class SandboxProcess {
    private final Sandbox sandbox;
    private final int execId;
    private final List<String> command;
    private final Instant started = Instant.now();
    private final CompletableFuture<Integer> pid = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private volatile OutputStream stdin = OutputStream.nullOutputStream();
    private volatile InputStream stdout = InputStream.nullInputStream();
    private volatile InputStream stderr = InputStream.nullInputStream();
    private volatile boolean timedOut;

    SandboxProcess(Sandbox sandbox, int execId, List<String> command) {
        this.sandbox = sandbox;
        this.execId = execId;
        this.command = List.copyOf(command);
    }

    void attachStreams(OutputStream in, InputStream out, InputStream err) {
        if (in != null) {
            this.stdin = in;
        }
        if (out != null) {
            this.stdout = out;
        }
        if (err != null) {
            this.stderr = err;
        }
    }

    // Called by the sandbox's reader thread.
    void started(int insidePid) {
        pid.complete(insidePid);
    }

    void failedToStart(SandboxException e) {
        pid.completeExceptionally(e);
        exit.completeExceptionally(e);
    }

    void failedToStartIfPending(SandboxException e) {
        pid.completeExceptionally(e);
    }

    void exited(ExitStatus status) {
        exit.complete(timedOut && status.reason() == ExitReason.SIGNALED ? status.withReason(ExitReason.TIMED_OUT) : status);
    }

    int execId() {
        return execId;
    }

    /**
     * Waits until the process started; throws the start failure (e.g. the command was not found, with
     * errno ENOENT).
     */
    public void awaitStarted() {
        awaitStart();
    }

    /** Waits for the start-up answer; throws the start failure (e.g. the command was not found). */
    void awaitStart() {
        try {
            pid.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new SandboxException("start " + String.join(" ", command), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while starting " + String.join(" ", command), e);
        }
    }

    public List<String> command() {
        return command;
    }

    /** The pid inside the sandbox. */
    public int pid() {
        return pid.getNow(-1);
    }

    public Instant startedAt() {
        return started;
    }

    /** The process's stdin when piped; an empty sink otherwise. Close it to send EOF. */
    public OutputStream stdin() {
        return stdin;
    }

    /** The process's stdout when piped; an empty stream otherwise. */
    public InputStream stdout() {
        return stdout;
    }

    public InputStream stderr() {
        return stderr;
    }

    public boolean isAlive() {
        return !exit.isDone();
    }

    /** Completes when the process has ended. */
    public CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    /** Waits until the process ends. */
    public ExitStatus waitFor() {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new SandboxException("wait", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while waiting for " + String.join(" ", command), e);
        }
    }

    /** Waits at most {@code timeout}; empty if the process is still running. */
    public Optional<ExitStatus> waitFor(Duration timeout) {
        try {
            return Optional.of(exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new SandboxException("wait", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while waiting for " + String.join(" ", command), e);
        }
    }

    /** Sends a signal (e.g. 15 for SIGTERM) to the process. */
    public void signal(int signal) {
        if (isAlive()) {
            sandbox.signal(execId, signal);
        }
    }

    /** SIGKILL. */
    public void kill() {
        signal(Native.SIGKILL);
    }

    /** Kills the process because it ran too long; its exit reason becomes TIMED_OUT. */
    void killForTimeout() {
        timedOut = true;
        kill();
    }

    @Override
    public String toString() {
        return "process " + pid() + " `" + String.join(" ", command) + "`" + (isAlive() ? " (running)" : " (" + exit.getNow(null) + ")");
    }
}
