package dev.sandboxed.core.internal.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
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
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * Collects the output of processes with piped streams on daemon threads, reused across execs so an exec does not
 * pay for thread start-up, while the caller waits for the exit.
 */
public final class Drainers {
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
        Future<byte[]> out = drain(stdio.stdout(), process.stdout());
        Future<byte[]> err = drain(stdio.stderr(), process.stderr());
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
        return new ExecResult(p.command(), status, join(out), p.stderrWithStartFailure(join(err)),
                Duration.between(start, Instant.now()));
    }

    private static Future<byte[]> drain(InputStream in, Stdio kind) {
        if (in == null || !(kind instanceof Stdio.Pipe)) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        return submit(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return buf.toByteArray();
            }
        });
    }

    private static byte[] join(Future<byte[]> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            return new byte[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new byte[0];
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
