package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PollSet;
import dev.sandboxed.core.internal.runtime.RunningSandbox.Launched;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.ProcessSpec;

/**
 * Runs an exec to completion with its output collected on the calling thread: one poll loop over the process's
 * pipes, then its exit from the sandbox's reader thread. No drainer thread is started or woken (four wake-ups per
 * exec with two pipes, a sizeable share of an exec on a small VM). The semantics are those drainer threads gave:
 * the timeout is a deadline for the whole call, an interrupt kills the process and its group, and output that
 * cannot be passed on fails the call once the process has exited (its pipe is closed, so it learns of it).
 */
final class CallerDrain {
    private static final int STDOUT = 0;
    private static final int STDERR = 1;

    private final InitConnection connection;
    private final ProcessState process;
    private final OutputSinks sinks;
    private final int[] fds = {-1, -1};
    private final OutputStream[] into = new OutputStream[2];
    private final Exception[] failed = new Exception[2];
    private final byte[] chunk = new byte[16 * 1024];

    private CallerDrain(InitConnection connection, Launched launched, ProcessSpec spec) {
        this.connection = connection;
        this.process = launched.state();
        this.sinks = OutputSinks.of(spec);
        fds[STDOUT] = launched.stdio().rawParentFd(1);
        fds[STDERR] = launched.stdio().rawParentFd(2);
        into[STDOUT] = sinks.stdout();
        into[STDERR] = sinks.stderr();
        int stdin = launched.stdio().rawParentFd(0);
        if (stdin >= 0) {
            Native.close(stdin); // EOF on a piped stdin, as exec always gave; last: a failure above closes all three
        }
    }

    /** Collects the output of a process launched with raw pipes ({@link StdioSetup#openRaw}) and waits for it. */
    static ExecResult complete(InitConnection connection, Launched launched, ProcessSpec spec, Instant start) {
        CallerDrain drain;
        try {
            drain = new CallerDrain(connection, launched, spec);
        } catch (RuntimeException | Error e) {
            launched.stdio().closeParentEnds();
            throw e;
        }
        return drain.run(spec, start);
    }

    private ExecResult run(ProcessSpec spec, Instant start) {
        CollectionDeadline deadline = new CollectionDeadline(connection, process, spec);
        try {
            PollSet poll = new PollSet(2);
            while (fds[STDOUT] >= 0 || fds[STDERR] >= 0 || !process.exit().isDone()) {
                if (!deadline.keepCollecting()) {
                    break; // what escaped the kill still holds a pipe: collection stops here
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw interrupted(new InterruptedException());
                }
                if (fds[STDOUT] < 0 && fds[STDERR] < 0) {
                    awaitExit(deadline.waitMillis());
                    continue;
                }
                poll.watch(STDOUT, fds[STDOUT]);
                poll.watch(STDERR, fds[STDERR]);
                if (poll.await(deadline.waitMillis())) {
                    for (int i : new int[] {STDOUT, STDERR}) {
                        if (poll.ready(i)) {
                            drain(i);
                        }
                    }
                }
            }
        } finally {
            for (int i : new int[] {STDOUT, STDERR}) {
                if (fds[i] >= 0) {
                    Native.close(fds[i]);
                    fds[i] = -1;
                }
            }
        }
        ExitStatus status = process.waitFor();
        for (int i : new int[] {STDOUT, STDERR}) {
            if (failed[i] != null) {
                Exception cause = failed[i] instanceof IOException io ? new UncheckedIOException(io) : failed[i];
                throw new SandboxException("collect " + (i == STDOUT ? "stdout" : "stderr") + " of "
                        + String.join(" ", process.command()), cause);
            }
        }
        return sinks.result(process, deadline.timedOut() ? status.withReason(ExitReason.TIMED_OUT) : status, start);
    }

    private void awaitExit(long millis) {
        try {
            process.exit().get(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw interrupted(e);
        } catch (ExecutionException | TimeoutException e) {
            // ended otherwise, or not yet: the loop looks again
        }
    }

    /** "Killed it" holds when the call returns: the process is reaped, not only signalled (bounded wait). */
    private SandboxInterruptedException interrupted(InterruptedException e) {
        connection.killWithGroup(process);
        Uninterruptibly.await(process.exit(), CollectionDeadline.KILL_GRACE);
        return SandboxInterruptedException.restoringFlag("interrupted while running " + process.command() + "; killed it",
                e);
    }

    /**
     * One read from a pipe that poll reported ready; EOF closes it, and so does a failure to read it or to pass the
     * output on (the process learns of that from EPIPE; the call fails once it ended).
     */
    private void drain(int i) {
        long n = Native.libc().read(fds[i], chunk, chunk.length);
        if (n < 0 && Native.lastErrno() == Errno.EINTR) {
            return;
        }
        if (n < 0) {
            failed[i] = new IOException("read: " + Errno.describe(Native.lastErrno()));
        } else if (n > 0) {
            try {
                into[i].write(chunk, 0, (int) n);
                return;
            } catch (IOException | RuntimeException e) {
                failed[i] = e;
            }
        }
        Native.close(fds[i]);
        fds[i] = -1;
    }
}
