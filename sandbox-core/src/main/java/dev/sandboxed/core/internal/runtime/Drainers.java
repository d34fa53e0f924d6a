package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import dev.sandboxed.core.internal.runtime.RunningSandbox.Launched;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;

/**
 * Collects the output of processes with piped streams on daemon threads, reused across execs so an exec does not
 * pay for thread start-up, while the caller waits for the exit.
 */
public final class Drainers {
    private static final System.Logger LOG = System.getLogger(Drainers.class.getName());
    private static final ExecutorService POOL = DaemonPool.named("sandbox-output");

    private Drainers() {
    }

    public static <T> Future<T> submit(Callable<T> task) {
        return POOL.submit(task);
    }

    /**
     * Collects the output of a process launched with piped streams and waits for it, within its timeout (then it is
     * killed, reason TIMED_OUT).
     */
    public static ExecResult complete(InitConnection connection, Launched launched, ProcessSpec process, Instant start) {
        ProcessState p = launched.state();
        StdioSetup stdio = launched.stdio();
        OutputSinks sinks = OutputSinks.of(process);
        Future<Void> out = drain(stdio.stdout(), sinks.stdout());
        Future<Void> err = drain(stdio.stderr(), sinks.stderr());
        closeQuietly(stdio.stdin());
        ExitStatus status;
        if (process.timeout().isPresent()) {
            Optional<ExitStatus> done = p.waitFor(process.timeout().get());
            if (done.isEmpty()) {
                connection.killForTimeout(p);
                status = p.waitFor();
            } else {
                status = done.get();
            }
        } else {
            status = p.waitFor();
        }
        join(out, "stdout", p);
        join(err, "stderr", p);
        return sinks.result(p, status, start);
    }

    /** Copies a pipe (null: not piped) into {@code into} until EOF, on a pool thread. */
    private static Future<Void> drain(InputStream in, OutputStream into) {
        if (in == null) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(() -> {
            try (in) {
                in.transferTo(into);
            }
            return null;
        });
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
    private static void join(Future<Void> f, String stream, ProcessState p) {
        try {
            f.get();
        } catch (ExecutionException e) {
            throw new SandboxException("collect " + stream + " of " + String.join(" ", p.command()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while collecting " + stream + " of " + String.join(" ", p.command()), e);
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
