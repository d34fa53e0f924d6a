package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

import dev.sandboxed.core.internal.os.Fd;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PollSet;

/**
 * Waits for a sandbox's init to be gone: its hang-up comes a little before its exit, and close() must return only
 * once no process of the sandbox is left. A pidfd, opened while the init surely runs, waits without polling and
 * without mistaking a later process that reuses the pid; without one, /proc is polled. A hand-over to a keeper and a
 * close may both close it, and one may wait on it while the other does: the pidfd is an {@link Fd}.
 */
final class InitExit implements AutoCloseable {
    private final int pid;
    private final Fd pidfd; // null without pidfds

    InitExit(int pid, int pidfd) {
        this.pid = pid;
        this.pidfd = pidfd >= 0 ? new Fd(pidfd, "the pidfd of init " + pid) : null;
    }

    static InitExit watch(int pid) {
        return new InitExit(pid, Native.pidfdOpen(pid));
    }

    /** Waits up to {@code limit} until the init has exited; true once it has. */
    boolean await(Duration limit) {
        if (pidfd != null) {
            int fd;
            try {
                fd = pidfd.acquire();
            } catch (Fd.ClosedException handedOver) {
                return awaitByProc(limit); // closed by a hand-over that raced this close: still wait for the exit
            }
            try {
                return PollSet.awaitExit(fd, limit.toMillis());
            } finally {
                pidfd.release();
            }
        }
        return awaitByProc(limit);
    }

    private boolean awaitByProc(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (running()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** Present in /proc and not a zombie (the fallback without a pidfd). */
    private boolean running() {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (pidfd != null) {
            pidfd.close();
        }
    }
}
