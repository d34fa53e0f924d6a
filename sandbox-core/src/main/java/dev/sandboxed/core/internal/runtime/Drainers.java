package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.sandboxed.core.internal.runtime.RunningSandbox.Launched;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.ProcessSpec;

/**
 * Collects the output of processes with piped streams on daemon threads, reused across execs so an exec does not
 * pay for thread start-up, while the caller waits for the exit.
 */
public final class Drainers {
    /** After the kill at the deadline: how long what the kill freed may take to drain before collection stops. */
    static final Duration KILL_GRACE = Duration.ofSeconds(2);
    private static final Duration NO_LIMIT = Duration.ofNanos(Long.MAX_VALUE);
    private static final System.Logger LOG = System.getLogger(Drainers.class.getName());
    private static final ExecutorService POOL = DaemonPool.named("sandbox-output");

    private Drainers() {
    }

    public static <T> Future<T> submit(Callable<T> task) {
        return POOL.submit(task);
    }

    /**
     * Collects the output of a process launched with piped streams and waits for it. Its timeout is a deadline for
     * the whole call: then the process and its process group are killed ({@link InitConnection#killWithGroup}),
     * collection stops (after a short grace for what the kill freed), and the result's reason is TIMED_OUT, with
     * the output collected so far.
     */
    public static ExecResult complete(InitConnection connection, Launched launched, ProcessSpec process, Instant start) {
        ProcessState p = launched.state();
        StdioSetup stdio = launched.stdio();
        OutputSinks sinks = OutputSinks.of(process);
        CompletableFuture<Void> out = drain(stdio.stdout(), sinks.stdout());
        CompletableFuture<Void> err = drain(stdio.stderr(), sinks.stderr());
        closeQuietly(stdio.stdin());
        CompletableFuture<Void> finished = CompletableFuture.allOf(p.exit(), out, err);
        boolean timedOut;
        try {
            timedOut = !await(finished, process.timeout().orElse(NO_LIMIT));
            if (timedOut) {
                connection.killForTimeout(p);
                await(finished, KILL_GRACE); // what escaped the kill keeps its pipe; it is left behind
            }
        } catch (InterruptedException e) {
            connection.killWithGroup(p);
            // "killed it" holds when the call returns: the process is reaped, not only signalled (bounded wait).
            Uninterruptibly.await(p.exit(), KILL_GRACE);
            throw SandboxInterruptedException.restoringFlag("interrupted while running " + p.command() + "; killed it", e);
        }
        ExitStatus status = p.waitFor();
        throwIfFailed(out, "stdout", p);
        throwIfFailed(err, "stderr", p);
        return sinks.result(p, timedOut ? status.withReason(ExitReason.TIMED_OUT) : status, start);
    }

    /** Whether {@code done} completed (either way) within {@code limit}. */
    private static boolean await(CompletableFuture<Void> done, Duration limit) throws InterruptedException {
        try {
            done.get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException e) {
            return true;
        } catch (TimeoutException e) {
            return false;
        }
    }

    /** Copies a pipe (null: not piped) into {@code into} until EOF, on a pool thread. */
    private static CompletableFuture<Void> drain(InputStream in, OutputStream into) {
        if (in == null) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> {
            try (in) {
                in.transferTo(into);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, POOL);
    }

    /**
     * For a background process: copies a pipe into the caller's stream until EOF. A failure closes the pipe, so the
     * process learns of it (EPIPE), and is logged.
     */
    public static void pump(InputStream in, OutputStream into, String what) {
        submit(() -> {
            try (in) {
                in.transferTo(into);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "streaming " + what + " failed", e);
            }
            return null;
        });
    }

    /** Output that could not be collected fails the call: it is never lost silently. */
    private static void throwIfFailed(CompletableFuture<Void> f, String stream, ProcessState p) {
        try {
            f.getNow(null);
        } catch (CompletionException e) {
            throw new SandboxException("collect " + stream + " of " + String.join(" ", p.command()), e.getCause());
        }
    }

    private static void closeQuietly(OutputStream s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to tell: the process may already have exited
        }
    }
}
