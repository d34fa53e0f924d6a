package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PollSet;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.runtime.RunningSandbox.Launched;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.ProcessSpec;

/**
 * Runs a one-shot sandbox's main process to completion on the calling thread: one poll loop over the init's
 * socket and the process's output pipes. No reader or drainer thread is involved, and each wake-up such a
 * thread would need costs a fraction of a millisecond on a small VM, a sizeable share of a whole sandbox.
 */
public final class OneShot {
    private static final int CONTROL = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;

    private final InitConnection connection;
    private final ProcessState process;
    private final int[] fds = {-1, -1, -1};
    private final OutputSinks sinks;
    private final byte[] chunk = new byte[16 * 1024];

    private OneShot(InitConnection connection, Launched main, ProcessSpec spec) {
        this.connection = connection;
        this.sinks = OutputSinks.of(spec);
        this.process = main.state();
        fds[STDOUT] = main.stdio().rawParentFd(1);
        fds[STDERR] = main.stdio().rawParentFd(2);
        int stdin = main.stdio().rawParentFd(0);
        if (stdin >= 0) {
            Native.close(stdin); // a one-shot process gets EOF on a piped stdin, as exec() gives it
        }
    }

    /**
     * Collects output and messages until the process has exited, its pipes are at EOF and the init hung up
     * (it ends with its main process). The process's timeout is a deadline for all of it: then the process and its
     * process group are killed, collection stops (after a short grace), and the reason is TIMED_OUT.
     * The sandbox's socket must not have a reader thread yet; if this fails half-way, one takes over.
     */
    public static ExecResult collect(RunningSandbox sandbox, ProcessSpec spec, Instant start) {
        return new OneShot(sandbox.connection(), sandbox.main().orElseThrow(), spec).run(spec, start);
    }

    /**
     * Sends {@code spec} as the main process of {@code prepared}, a sandbox set up ahead for it whose socket nobody
     * read since its "ready" ({@link StartRequest#preparedForRun}); {@link #collect} then runs it. If it cannot be
     * sent, a reader thread takes the socket so that the sandbox can close.
     */
    public static void sendMain(RunningSandbox prepared, ProcessSpec spec) {
        try {
            prepared.launchMain(spec, MainOutput.COLLECT_ON_CALLER);
        } catch (RuntimeException | Error e) {
            prepared.connection().startReader();
            throw e;
        }
    }

    /**
     * Whether a sandbox set up for {@link #sendMain} can still take its process: its init alive and silent
     * since "ready" (a hang-up or any message means it did not stay as set up).
     */
    public static boolean stillAsPrepared(RunningSandbox prepared) {
        return prepared.connection().isRunning() && !prepared.connection().socket().awaitReadable(0);
    }

    /** Before closing a sandbox set up for {@link #sendMain} that no run took: a reader thread sees its end. */
    public static void release(RunningSandbox prepared) {
        prepared.connection().startReader();
    }

    private ExecResult run(ProcessSpec spec, Instant start) {
        CollectionDeadline deadline = new CollectionDeadline(connection, process, spec);
        PollSet poll = new PollSet(3);
        // Held for the whole loop: a close() from another thread (the runtime's, at exit) wakes the poll with a
        // hang-up, and the descriptor number stays the socket's until this loop has stopped using it.
        boolean holding = false;
        try {
            fds[CONTROL] = connection.socket().descriptor().acquire();
            holding = true;
            while (fds[CONTROL] >= 0 || fds[STDOUT] >= 0 || fds[STDERR] >= 0) {
                if (!deadline.keepCollecting()) {
                    break; // what escaped the kill still holds a pipe: collection stops here
                }
                if (Thread.currentThread().isInterrupted()) {
                    connection.killWithGroup(process);
                    throw new SandboxInterruptedException("interrupted while running " + process.command() + "; killed it",
                            new InterruptedException());
                }
                for (int i = 0; i < 3; i++) {
                    poll.watch(i, fds[i]);
                }
                if (poll.await(deadline.waitMillis())) {
                    serveReady(poll);
                }
            }
        } finally {
            if (holding) {
                connection.socket().descriptor().release();
            }
            for (int i : new int[] {STDOUT, STDERR}) {
                if (fds[i] >= 0) {
                    Native.close(fds[i]);
                }
            }
            if (fds[CONTROL] >= 0) {
                connection.startReader(); // we stop receiving half-way: a reader thread finishes the job
            }
        }
        ExitStatus status = process.waitFor(); // 127 or 126 when it could not start
        return sinks.result(process, deadline.timedOut() ? status.withReason(ExitReason.TIMED_OUT) : status, start);
    }

    private void serveReady(PollSet poll) {
        if (poll.ready(CONTROL)) {
            receive();
        }
        if (poll.ready(STDOUT)) {
            drain(STDOUT, sinks.stdout());
        }
        if (poll.ready(STDERR)) {
            drain(STDERR, sinks.stderr());
        }
    }

    private void receive() {
        ControlSocket.Received r = connection.socket().receive();
        if (r == null) {
            fds[CONTROL] = -1;
            connection.hungUp();
        } else {
            connection.handle(r);
        }
    }

    /** One read from a pipe that poll reported ready; EOF (or a broken pipe) closes it. */
    private void drain(int index, OutputStream into) {
        long n = Native.libc().read(fds[index], chunk, chunk.length);
        if (n > 0) {
            write(into, (int) n, index);
        } else if (n == 0 || Native.lastErrno() != Errno.EINTR) {
            Native.close(fds[index]);
            fds[index] = -1;
        }
    }

    /** Output that cannot be passed on (the caller's stream failed) fails the run: it is never lost silently. */
    private void write(OutputStream into, int n, int index) {
        try {
            into.write(chunk, 0, n);
        } catch (IOException e) {
            throw new SandboxException("collect " + (index == STDOUT ? "stdout" : "stderr") + " of "
                    + String.join(" ", process.command()), new UncheckedIOException(e));
        }
    }
}
