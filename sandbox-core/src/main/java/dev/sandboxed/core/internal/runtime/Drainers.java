package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Daemon threads, reused, that pump the streams of processes running in the background (a spawned process's output
 * to the caller's stream) and do other waiting for them. An exec collects its output on the calling thread instead
 * ({@link CallerDrain}).
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
}
