package dev.sandboxed.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An exclusive lock on a file, held by another process until {@link #release()} or {@link #close()}: what another JVM
 * holding the lock looks like. A POSIX record lock (python's {@code fcntl.lockf}), the kind the JDK's file locks are.
 */
public final class OtherProcessLock implements AutoCloseable {
    private static final String HOLD = """
            import fcntl, sys
            f = open(sys.argv[1], 'a')
            fcntl.lockf(f, fcntl.LOCK_EX)
            print('locked', flush=True)
            sys.stdin.read()
            """;

    private final Process holder;

    private OtherProcessLock(Process holder) {
        this.holder = holder;
    }

    /** Returns once the other process holds the lock (the file is made if missing). */
    public static OtherProcessLock hold(Path file) throws IOException {
        Process holder = new ProcessBuilder("python3", "-c", HOLD, file.toString()).start();
        OtherProcessLock lock = new OtherProcessLock(holder);
        var said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String line = said.readLine();
        if (!"locked".equals(line)) {
            lock.close();
            throw new IOException("the lock holder for " + file + " said " + line);
        }
        return lock;
    }

    /** The other process ends, and its lock with it. */
    public void release() throws InterruptedException {
        holder.destroyForcibly();
        holder.waitFor();
    }

    @Override
    public void close() {
        holder.destroyForcibly();
        try {
            holder.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
