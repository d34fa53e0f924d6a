package dev.sandboxed.core.internal.protocol;

import java.nio.ByteBuffer;

import dev.sandboxed.core.internal.os.Fd;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PollSet;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.SandboxException;

/**
 * One end of a SOCK_SEQPACKET socket to sandbox-init: whole messages, with file descriptors passed
 * as SCM_RIGHTS. Sends may come from any thread; receives from one reader thread at a time. Every call holds
 * the descriptor ({@link Fd}) for its system call, so {@link #close()} racing a send never lets that send reach a
 * closed descriptor or one whose number was meanwhile reused: the send fails with {@link Fd.ClosedException}.
 */
public final class ControlSocket implements AutoCloseable {
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_CTRUNC = 0x8;
    // struct msghdr / iovec / cmsghdr on LP64 Linux (x86_64, aarch64).
    private static final int MSGHDR_SIZE = 56;
    private static final int IOVEC_SIZE = 16;
    private static final int CMSG_HEADER = 16;
    private static final int CONTROL_SIZE = CMSG_HEADER + Protocol.MAX_FDS * 4;

    private final Fd fd;
    private final Object sendLock = new Object();
    private final Object receiveLock = new Object();
    private volatile boolean closed;

    /** Takes ownership of socket {@code fd}; {@code peer} names the other end in errors. */
    public ControlSocket(int fd, String peer) {
        this.fd = new Fd(fd, "socket to " + peer);
    }

    /** The socket, for a caller that polls it beside other descriptors (it must acquire it for that). */
    public Fd descriptor() {
        return fd;
    }

    /** A received message and the descriptors that came with it (owned by the caller). */
    public record Received(Message message, int[] fds) {
    }

    public void send(Message message, int... fds) {
        if (fds.length > Protocol.MAX_FDS) {
            throw new IllegalArgumentException("at most " + Protocol.MAX_FDS + " descriptors per message, got " + fds.length);
        }
        byte[] bytes = message.toBytes();
        IoBuffers io = IoBuffers.forThisThread();
        ByteBuffer data = io.data(bytes.length);
        data.put(0, bytes, 0, bytes.length);
        long controlLength = 0;
        if (fds.length > 0) {
            controlLength = CMSG_HEADER + align8(fds.length * 4);
            io.control.putLong(0, CMSG_HEADER + fds.length * 4L);
            io.control.putInt(8, SOL_SOCKET);
            io.control.putInt(12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                io.control.putInt(CMSG_HEADER + i * 4, fds[i]);
            }
        }
        ByteBuffer hdr = io.header(bytes.length, controlLength);
        synchronized (sendLock) {
            int socket = fd.acquire();
            try {
                long n;
                do {
                    n = Native.libc().sendmsg(socket, hdr, MSG_NOSIGNAL);
                } while (n < 0 && Native.lastErrno() == Errno.EINTR);
                if (n < 0) {
                    throw Native.failure("send " + message.kindName() + " to sandbox-init");
                }
            } finally {
                fd.release();
            }
        }
    }

    /**
     * Waits until a message (or the other side's hang-up) can be received, at most {@code timeoutMillis};
     * false when the time ran out.
     */
    public boolean awaitReadable(long timeoutMillis) {
        PollSet poll = new PollSet(1);
        try {
            poll.watch(0, fd.acquire());
        } catch (Fd.ClosedException e) {
            return true; // closed (also by a close racing this call): receive() answers null at once
        }
        try {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
                if (poll.await(left)) {
                    return true;
                }
                if (System.nanoTime() >= deadline) {
                    return false;
                }
            }
        } finally {
            fd.release();
        }
    }

    /** Blocks for the next message; null when the other side closed or died, or this side was closed. */
    public Received receive() {
        synchronized (receiveLock) {
            int socket;
            try {
                socket = fd.acquire();
            } catch (Fd.ClosedException e) {
                return null;
            }
            try {
                return receive(socket);
            } finally {
                fd.release();
            }
        }
    }

    private Received receive(int socket) {
        IoBuffers io = IoBuffers.forThisThread();
        ByteBuffer data = io.data(Protocol.MAX_MESSAGE);
        ByteBuffer hdr;
        long n;
        int errno;
        do {
            hdr = io.header(Protocol.MAX_MESSAGE, CONTROL_SIZE); // a failed call may have changed its lengths
            n = Native.libc().recvmsg(socket, hdr, MSG_CMSG_CLOEXEC);
            errno = n < 0 ? Native.lastErrno() : 0;
            // ECONNRESET: the init exited with our messages unread (a set-up failure while a process was
            // queued). The error is reported once; what it sent before is still queued, then EOF.
        } while (n < 0 && (errno == Errno.EINTR || errno == Errno.ECONNRESET) && !closed);
        if (n < 0) {
            if (closed) {
                return null;
            }
            throw Native.failure("receive from sandbox-init");
        }
        int[] fds = readFds(io.control, hdr.getLong(40));
        boolean truncated = (hdr.getInt(48) & (MSG_TRUNC | MSG_CTRUNC)) != 0;
        if (n == 0 || truncated) {
            for (int received : fds) {
                Native.close(received); // nobody can use descriptors of a message that is gone or cut short
            }
            if (truncated) {
                throw new SandboxException("receive from sandbox-init: message truncated", 90);
            }
            return null;
        }
        byte[] bytes = new byte[(int) n];
        data.get(0, bytes, 0, bytes.length);
        return new Received(Message.parse(bytes), fds);
    }

    /**
     * The native msghdr, iovec, control and data memory of one thread's sendmsg and recvmsg calls. Kept per
     * thread, because fresh native memory per call (a 256 KiB receive buffer is a fresh mmap) cost page faults
     * and unmaps on every message; a thread makes one call at a time.
     */
    private static final class IoBuffers {
        private static final ThreadLocal<IoBuffers> PER_THREAD = ThreadLocal.withInitial(IoBuffers::new);

        private final ByteBuffer hdr = Native.allocate(MSGHDR_SIZE);
        private final ByteBuffer iov = Native.allocate(IOVEC_SIZE);
        private final ByteBuffer control = Native.allocate(CONTROL_SIZE);
        private final long iovAddress = Native.libc().address(iov);
        private final long controlAddress = Native.libc().address(control);
        private ByteBuffer data;
        private long dataAddress;
        private int dataSize;

        static IoBuffers forThisThread() {
            return PER_THREAD.get();
        }

        /** At least {@code size} bytes of data memory. */
        ByteBuffer data(int size) {
            if (size > dataSize) {
                int grown = Math.max(size, 16 * 1024);
                data = Native.allocate(grown);
                dataAddress = Native.libc().address(data);
                dataSize = grown;
            }
            return data;
        }

        /** The msghdr for one call: the data buffer as its only iovec, and the control buffer when asked. */
        ByteBuffer header(long dataLength, long controlLength) {
            iov.putLong(0, dataAddress);
            iov.putLong(8, dataLength);
            hdr.putLong(0, 0); // msg_name
            hdr.putLong(8, 0); // msg_namelen and padding
            hdr.putLong(16, iovAddress);
            hdr.putLong(24, 1);
            if (controlLength > 0) {
                hdr.putLong(32, controlAddress);
            } else {
                hdr.putLong(32, 0);
            }
            hdr.putLong(40, controlLength);
            hdr.putLong(48, 0); // msg_flags
            return hdr;
        }
    }

    private static int[] readFds(ByteBuffer control, long controlLength) {
        if (controlLength < CMSG_HEADER) {
            return new int[0];
        }
        long cmsgLen = control.getLong(0);
        if (control.getInt(8) != SOL_SOCKET || control.getInt(12) != SCM_RIGHTS || cmsgLen < CMSG_HEADER) {
            return new int[0];
        }
        int count = (int) ((cmsgLen - CMSG_HEADER) / 4);
        int[] fds = new int[count];
        for (int i = 0; i < count; i++) {
            fds[i] = control.getInt(CMSG_HEADER + i * 4);
        }
        return fds;
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    /** Wakes a blocked reader (or poller); the descriptor itself is released by {@link #close()}. */
    public void shutdown() {
        closed = true;
        int socket;
        try {
            socket = fd.acquire();
        } catch (Fd.ClosedException alreadyClosed) {
            return;
        }
        try {
            Native.shutdown(socket);
        } finally {
            fd.release();
        }
    }

    /**
     * Wakes a blocked reader and refuses every later send; the descriptor is closed as soon as no call is using
     * it (a reader woken here is the last, usually).
     */
    @Override
    public void close() {
        shutdown();
        fd.close();
    }
}
