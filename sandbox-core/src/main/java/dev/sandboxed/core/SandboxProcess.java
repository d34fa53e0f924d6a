package dev.sandboxed.core;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.runtime.ProcessState;
import dev.sandboxed.core.internal.runtime.RunningSandbox;
import dev.sandboxed.core.result.ExitStatus;

/**
 * A process running inside a sandbox: its streams (when piped), its pid inside the sandbox, waiting and
 * signalling. Obtained from {@link Sandbox#spawn}.
 */
public final class SandboxProcess {
    private final Sandbox sandbox;
    private final ProcessState state;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;

    SandboxProcess(Sandbox sandbox, RunningSandbox.Launched launched) {
        this.sandbox = sandbox;
        this.state = launched.state();
        this.stdin = Optional.ofNullable(launched.stdio().stdin()).orElse(OutputStream.nullOutputStream());
        this.stdout = Optional.ofNullable(launched.stdio().stdout()).orElse(InputStream.nullInputStream());
        this.stderr = Optional.ofNullable(launched.stdio().stderr()).orElse(InputStream.nullInputStream());
    }

    /**
     * Waits until the process started; throws the start failure (e.g. the command was not found, with
     * errno ENOENT).
     */
    public void awaitStarted() {
        state.awaitStart();
    }

    public List<String> command() {
        return state.command();
    }

    /** The pid inside the sandbox. */
    public int pid() {
        return state.pidNow();
    }

    public Instant startedAt() {
        return state.sentAt();
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
        return state.isAlive();
    }

    /**
     * A new future that completes when the process has ended, like {@code Process.onExit()}: what is chained on it runs
     * on a pool thread (or the caller's, once ended), so it may exec in this sandbox or close it. A future taken before
     * {@link #waitFor()} returned may complete a moment after it.
     */
    public CompletableFuture<ExitStatus> onExit() {
        return state.exitForCaller();
    }

    /** Waits until the process ends. */
    public ExitStatus waitFor() {
        return state.waitFor();
    }

    /** Waits at most {@code timeout}; empty if the process is still running. */
    public Optional<ExitStatus> waitFor(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return state.waitFor(timeout);
    }

    /** Sends a signal (e.g. 15 for SIGTERM) to the process. */
    public void signal(int signal) {
        if (isAlive()) {
            sandbox.signal(state, signal);
        }
    }

    /** SIGKILL. */
    public void kill() {
        signal(Native.SIGKILL);
    }

    @Override
    public String toString() {
        return state.toString();
    }
}
