package dev.sandboxed.cli;

import java.nio.ByteBuffer;
import java.util.Arrays;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PollSet;
import dev.sandboxed.core.internal.os.Terminal;
import dev.sandboxed.core.result.Errno;

/**
 * The stdin, stdout and stderr of a process {@code sandboxed exec} starts: never this process's own (another process
 * in the sandbox could reopen them through /proc/PID/fd and keep the caller's terminal after exec returned), but pipes
 * or a fresh pseudo-terminal made here, whose other ends this process relays to and from its own, as runc does.
 *
 * <p>With a terminal the process gets the slave of a pty of the host's /dev/ptmx as stdin, stdout and stderr; the
 * caller's terminal is raw meanwhile (keys, Ctrl-C included, go to the pty, whose line discipline makes the signals)
 * and its window size follows SIGWINCH. Without one, three pipes: the end of this stdin closes the process's; its
 * stdout and stderr are relayed until their end, or, when a process it left in the background still holds them, until
 * they are quiet for a moment after the exit's output is relayed (at most {@link #DRAIN_MILLIS} more).
 */
final class ExecStdio implements AutoCloseable {
    private static final int QUIET_MILLIS = 100;
    static final int DRAIN_MILLIS = 2000;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int O_NONBLOCK = 04000;
    private static final long FIONREAD = 0x541B;

    private final boolean tty;
    private final int[] sandboxEnds; // handed over with the request, then closed here
    private int input; // the process's stdin from here: a pipe's write end, or the pty's master
    private final int[] outputs; // read here: the stdout and stderr pipes' read ends, or the master
    private final int[] stop = Native.pipe("stopping the stdin relay");
    private ByteBuffer savedTerminal; // this stdin's attributes while it is raw
    private Thread restoreHook;
    private Thread inputRelay;
    private Thread outputRelay;
    private volatile long endedAt; // nanoTime of the process's exit; 0 while it runs
    private boolean closed; // guarded by this; SIGWINCH still comes after close, when the master's number is free

    private ExecStdio(boolean tty, int[] sandboxEnds, int input, int[] outputs) {
        this.tty = tty;
        this.sandboxEnds = sandboxEnds;
        this.input = input;
        this.outputs = outputs;
    }

    /**
     * Whether this process's stdin and stdout are both terminals (exec then allocates a pty unless told not to): with
     * stdout a file or a pipe, a pty would turn its \n into \r\n and merge stderr into it.
     */
    static boolean interactive() {
        return Terminal.isTerminal(0) && Terminal.isTerminal(1);
    }

    /** Pipes, or a pty ({@code tty}) sized as this terminal. */
    static ExecStdio open(boolean tty) {
        if (tty) {
            Terminal.Pty pty = Terminal.openPty();
            ExecStdio stdio = new ExecStdio(true, new int[] {pty.slave(), pty.slave(), pty.slave()}, pty.master(),
                    new int[] {pty.master()});
            stdio.resize();
            nonBlocking(pty.master());
            return stdio;
        }
        int[] in = Native.pipe("exec stdin");
        int[] out = Native.pipe("exec stdout");
        int[] err = Native.pipe("exec stderr");
        nonBlocking(in[1]);
        nonBlocking(out[0]);
        nonBlocking(err[0]);
        return new ExecStdio(false, new int[] {in[0], out[1], err[1]}, in[1], new int[] {out[0], err[0]});
    }

    /** What the process gets as its stdin, stdout and stderr. */
    int[] sandboxEnds() {
        return sandboxEnds;
    }

    /**
     * Once the request went out with {@link #sandboxEnds}: closes them here (the process holds its own copies) and
     * starts relaying; a terminal becomes raw from now until {@link #close}.
     */
    void start() {
        closeSandboxEnds();
        if (tty && Terminal.isTerminal(0)) {
            savedTerminal = Terminal.attributes(0);
            restoreHook = new Thread(this::restoreTerminal, "sandboxed-exec-terminal");
            Runtime.getRuntime().addShutdownHook(restoreHook);
            Terminal.makeRaw(0);
        }
        if (tty) {
            SignalForwarding.onWindowChange(this::resize);
        }
        inputRelay = daemon("sandboxed-exec-stdin", this::relayInput);
        outputRelay = daemon("sandboxed-exec-output", this::relayOutput);
    }

    /** After the process's exit: waits until its output is relayed, and stops taking this stdin. */
    void ended() {
        endedAt = System.nanoTime();
        if (outputRelay != null) {
            try {
                outputRelay.join(); // once the exit's output is out, DRAIN_MILLIS after at the latest
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopInput();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true; // a resize under way ends before the master can close below
        }
        closeSandboxEnds();
        stopInput();
        if (outputRelay != null && outputRelay.isAlive()) {
            endedAt = System.nanoTime();
            join(outputRelay);
        }
        if (outputRelay == null || !outputRelay.isAlive()) {
            for (int fd : outputs) {
                Native.close(fd);
            }
            Arrays.fill(outputs, -1);
        }
        if (inputRelay == null || !inputRelay.isAlive()) {
            if (!tty) {
                Native.close(input); // the master is in outputs
            }
            input = -1;
            Native.close(stop[0]);
            Native.close(stop[1]);
        }
        restoreTerminal();
        if (restoreHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreHook);
            } catch (IllegalStateException exiting) {
                // the hook runs anyway
            }
            restoreHook = null;
        }
    }

    private synchronized void restoreTerminal() {
        if (savedTerminal != null) {
            try {
                Terminal.restore(0, savedTerminal);
            } catch (RuntimeException gone) {
                // the terminal went away: nothing left to restore
            }
            savedTerminal = null;
        }
    }

    private void closeSandboxEnds() {
        for (int i = 0; i < sandboxEnds.length; i++) {
            if (i == 0 || sandboxEnds[i] != sandboxEnds[0]) {
                Native.close(sandboxEnds[i]);
            }
        }
        Arrays.fill(sandboxEnds, -1);
    }

    private void stopInput() {
        if (inputRelay != null && inputRelay.isAlive()) {
            Native.libc().write(stop[1], new byte[] {1}, 1);
            join(inputRelay);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(DRAIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The pty's window size as this terminal's (stdin's, else stdout's), where it has one. */
    private synchronized void resize() {
        if (closed) {
            return;
        }
        Terminal.windowSize(0).or(() -> Terminal.windowSize(1)).ifPresent(size -> {
            try {
                Terminal.setWindowSize(input, size[0], size[1]);
            } catch (RuntimeException closed) {
                // the exec ended meanwhile
            }
        });
    }

    /** This stdin to the process, until its end (then the process's stdin ends too) or until stopped. */
    private void relayInput() {
        PollSet poll = new PollSet(2);
        poll.watch(0, 0);
        poll.watch(1, stop[0]);
        byte[] buffer = new byte[16384];
        while (true) {
            poll.await(-1);
            if (poll.ready(1)) {
                return;
            }
            if (!poll.ready(0)) {
                continue;
            }
            long n = Native.libc().read(0, buffer, buffer.length);
            if (n < 0 && Native.lastErrno() == Errno.EINTR) {
                continue;
            }
            if (n <= 0) {
                if (!tty) {
                    Native.close(input); // its stdin ends as this one did
                    input = -1;
                }
                return;
            }
            if (!writeAll(input, buffer, (int) n, true)) {
                return; // the process closed its stdin, or ended
            }
        }
    }

    /**
     * The process's stdout and stderr to this process's, until their end, or until quiet after the exit. What they
     * held when the exit was seen is the process's own output and is relayed whatever the time our stdout takes;
     * only then may a process left in the background holding them cut the relay short: once a poll finds nothing,
     * for {@link #QUIET_MILLIS} counted from the last completed write, or {@link #DRAIN_MILLIS} after that point.
     */
    private void relayOutput() {
        int[] to = outputs.length == 1 ? new int[] {1} : new int[] {1, 2};
        int[] from = outputs.clone();
        PollSet poll = new PollSet(from.length);
        byte[] buffer = new byte[16384];
        int open = from.length;
        long[] owed = null; // after the exit: what each still holds of the process's output
        long drainFrom = 0; // when what was owed was relayed
        long lastWrite = 0;
        while (open > 0) {
            for (int i = 0; i < from.length; i++) {
                poll.watch(i, from[i]);
            }
            if (owed == null && endedAt != 0) {
                owed = waiting(from);
            }
            if (owed != null && drainFrom == 0 && Arrays.stream(owed).allMatch(n -> n == 0)) {
                drainFrom = System.nanoTime();
            }
            if (drainFrom == 0) {
                if (!poll.await(QUIET_MILLIS)) {
                    continue;
                }
            } else if (!poll.await(0)) {
                long now = System.nanoTime();
                long quietFor = now - Math.max(drainFrom, lastWrite);
                long left = Math.min(QUIET_MILLIS * 1_000_000L - quietFor, DRAIN_MILLIS * 1_000_000L - (now - drainFrom));
                if (left <= 0 || !poll.await((int) Math.max(1, left / 1_000_000L))) {
                    return; // a process left in the background holds them: what the exec's process wrote is out
                }
            } else if (System.nanoTime() - drainFrom > DRAIN_MILLIS * 1_000_000L) {
                return; // a process left in the background keeps writing
            }
            for (int i = 0; i < from.length; i++) {
                if (!poll.ready(i)) {
                    continue;
                }
                long n = Native.libc().read(from[i], buffer, buffer.length);
                if (n < 0 && (Native.lastErrno() == Errno.EINTR || Native.lastErrno() == Errno.EAGAIN)) {
                    continue;
                }
                if (n <= 0) { // the end, or EIO from a pty's master once no process holds its slave
                    from[i] = -1;
                    open--;
                    if (owed != null) {
                        owed[i] = 0;
                    }
                    continue;
                }
                if (owed != null) {
                    owed[i] = Math.max(0, owed[i] - n);
                }
                if (to[i] >= 0 && !writeAll(to[i], buffer, (int) n, false)) {
                    to[i] = -1; // our own stdout is gone: the rest is read and dropped, so the process is not stuck
                }
                lastWrite = System.nanoTime();
            }
        }
    }

    /** How many bytes each of {@code fds} (pipes, or a pty's master; -1: ended) holds unread now. */
    private static long[] waiting(int[] fds) {
        long[] n = new long[fds.length];
        ByteBuffer count = Native.allocate(4);
        for (int i = 0; i < fds.length; i++) {
            if (fds[i] >= 0 && Native.libc().ioctl(fds[i], FIONREAD, count) == 0) {
                n[i] = Integer.toUnsignedLong(count.getInt(0));
            }
        }
        return n;
    }

    /**
     * Writes all {@code n} bytes, waiting while {@code fd} is full: for the process's stdin ({@code toProcess}) while
     * the process runs, for our own stdout or stderr (non-blocking when a parent shares it so) until a stop is asked.
     */
    private boolean writeAll(int fd, byte[] buffer, int n, boolean toProcess) {
        byte[] rest = buffer;
        int left = n;
        while (left > 0) {
            long w = Native.libc().write(fd, rest, left);
            if (w < 0) {
                int errno = Native.lastErrno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (errno == Errno.EAGAIN && (!toProcess || endedAt == 0) && !stopRequested()) {
                    sleep();
                    continue;
                }
                return false;
            }
            left -= (int) w;
            rest = Arrays.copyOfRange(rest, (int) w, (int) w + left);
        }
        return true;
    }

    private boolean stopRequested() {
        PollSet poll = new PollSet(1);
        poll.watch(0, stop[0]);
        return poll.await(0);
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void nonBlocking(int fd) {
        int flags = Native.libc().fcntl(fd, F_GETFL, 0);
        if (flags < 0 || Native.libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
            throw Native.failure("make descriptor " + fd + " non-blocking");
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
