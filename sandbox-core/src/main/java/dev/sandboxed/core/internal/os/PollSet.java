package dev.sandboxed.core.internal.os;

import java.nio.ByteBuffer;

import dev.sandboxed.core.result.Errno;

/** poll(2) over a few descriptors, for a thread that serves several of them itself. */
public final class PollSet {
    static final short POLLIN = 0x1;
    private static final short POLLPRI = 0x2;
    private static final int POLLFD_SIZE = 8;

    private final int[] fds;
    private final short[] revents;
    private final ByteBuffer pollfds;
    private final short events;

    public PollSet(int size) {
        this(size, POLLIN);
    }

    private PollSet(int size, short events) {
        this.events = events;
        fds = new int[size];
        revents = new short[size];
        pollfds = Native.allocate(size * POLLFD_SIZE);
    }

    /**
     * A set that waits for exceptional conditions (POLLPRI) instead of input: {@code /proc/self/mountinfo} reports a
     * change of the mount table so, and a poll takes the news.
     */
    public static PollSet forPriorityEvents(int size) {
        return new PollSet(size, POLLPRI);
    }

    /** Watches slot {@code i} for input (or its events, see {@link #forPriorityEvents}) or hang-up; -1 leaves it out. */
    public void watch(int i, int fd) {
        fds[i] = fd;
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: no limit) until a watched descriptor is readable or hung up;
     * returns whether one is. EINTR counts as nothing ready.
     */
    public boolean await(long timeoutMillis) {
        for (int i = 0; i < fds.length; i++) {
            pollfds.putInt(i * POLLFD_SIZE, fds[i]); // the kernel skips negative descriptors
            pollfds.putShort(i * POLLFD_SIZE + 4, events);
            pollfds.putShort(i * POLLFD_SIZE + 6, (short) 0);
        }
        int n = Native.libc().poll(pollfds, fds.length, (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
        if (n < 0 && Native.lastErrno() != Errno.EINTR) {
            throw Native.failure("poll sandbox descriptors");
        }
        for (int i = 0; i < fds.length; i++) {
            revents[i] = n > 0 ? pollfds.getShort(i * POLLFD_SIZE + 6) : 0;
        }
        return n > 0;
    }

    /**
     * Waits up to {@code timeoutMillis} until the process of {@code pidfd} has exited (with all its threads);
     * whether it has.
     */
    public static boolean awaitExit(int pidfd, long timeoutMillis) {
        PollSet poll = new PollSet(1);
        poll.watch(0, pidfd);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!poll.await(Math.max(0, (deadline - System.nanoTime()) / 1_000_000L))) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
        }
        return true;
    }

    /** After {@link #await}: slot {@code i} has input, or its other end is gone (a read will not block). */
    public boolean ready(int i) {
        return fds[i] >= 0 && revents[i] != 0;
    }
}
