package dev.sandboxed.core.process;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * One end of a SOCK_SEQPACKET socket to sandbox-init: whole messages, with file descriptors passed
 * as SCM_RIGHTS. Sends may come from any thread; receives from one reader thread at a time.
 */
public final class ControlSocket implements AutoCloseable {
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MAX_MESSAGE = 256 * 1024;
    private static final int MAX_FDS = 8;
    // struct msghdr / iovec / cmsghdr on LP64 Linux (x86_64, aarch64).
    private static final int MSGHDR_SIZE = 56;
    private static final int IOVEC_SIZE = 16;
    private static final int CMSG_HEADER = 16;
    private static final int CONTROL_SIZE = CMSG_HEADER + MAX_FDS * 4;

    private final int fd;
    private final Object sendLock = new Object();
    private final Object receiveLock = new Object();
    private Pointer receiveBuffer;
    private volatile boolean closed;

    public ControlSocket(int fd) {
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    /** A received message and the descriptors that came with it (owned by the caller). */
    public record Received(Message message, int[] fds) {
    }

    public void send(Message message, int... fds) {
        byte[] bytes = message.toBytes();
        Runtime rt = Native.runtime();
        Pointer data = Memory.allocateDirect(rt, Math.max(1, bytes.length));
        data.put(0, bytes, 0, bytes.length);
        Pointer iov = Memory.allocateDirect(rt, IOVEC_SIZE, true);
        iov.putPointer(0, data);
        iov.putLong(8, bytes.length);
        Pointer hdr = Memory.allocateDirect(rt, MSGHDR_SIZE, true);
        hdr.putPointer(16, iov);
        hdr.putLong(24, 1);
        Pointer control = null;
        if (fds.length > 0) {
            int space = CMSG_HEADER + align8(fds.length * 4);
            control = Memory.allocateDirect(rt, space, true);
            control.putLong(0, CMSG_HEADER + fds.length * 4L);
            control.putInt(8, SOL_SOCKET);
            control.putInt(12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                control.putInt(CMSG_HEADER + i * 4L, fds[i]);
            }
            hdr.putPointer(32, control);
            hdr.putLong(40, space);
        }
        synchronized (sendLock) {
            long n;
            do {
                n = Native.libc().sendmsg(fd, hdr, MSG_NOSIGNAL);
            } while (n < 0 && Native.lastErrno() == Errno.EINTR);
            if (n < 0) {
                throw Native.failure("send " + message.kindName() + " to sandbox-init");
            }
        }
        reachabilityFence(data, iov, control);
    }

    /** Blocks for the next message; null when the other side closed or died. */
    public Received receive() {
        synchronized (receiveLock) {
            Runtime rt = Native.runtime();
            if (receiveBuffer == null) {
                receiveBuffer = Memory.allocateDirect(rt, MAX_MESSAGE);
            }
            Pointer iov = Memory.allocateDirect(rt, IOVEC_SIZE, true);
            iov.putPointer(0, receiveBuffer);
            iov.putLong(8, MAX_MESSAGE);
            Pointer control = Memory.allocateDirect(rt, CONTROL_SIZE, true);
            Pointer hdr = Memory.allocateDirect(rt, MSGHDR_SIZE, true);
            hdr.putPointer(16, iov);
            hdr.putLong(24, 1);
            hdr.putPointer(32, control);
            hdr.putLong(40, CONTROL_SIZE);
            long n;
            do {
                n = Native.libc().recvmsg(fd, hdr, MSG_CMSG_CLOEXEC);
            } while (n < 0 && Native.lastErrno() == Errno.EINTR && !closed);
            if (n < 0) {
                if (closed) {
                    return null;
                }
                throw Native.failure("receive from sandbox-init");
            }
            int[] fds = readFds(control, hdr.getLong(40));
            if (n == 0) {
                for (int received : fds) {
                    Native.close(received);
                }
                return null;
            }
            if ((hdr.getInt(48) & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
                throw new SandboxException("receive from sandbox-init: message truncated", 90);
            }
            byte[] bytes = new byte[(int) n];
            receiveBuffer.get(0, bytes, 0, bytes.length);
            reachabilityFence(iov, control, hdr);
            return new Received(Message.parse(bytes), fds);
        }
    }

    private static int[] readFds(Pointer control, long controlLength) {
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
            fds[i] = control.getInt(CMSG_HEADER + i * 4L);
        }
        return fds;
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    @SuppressWarnings("unused")
    private static void reachabilityFence(Object... keep) {
        // Direct memory is freed when its Pointer is collected; this keeps it alive across the native call.
        java.lang.ref.Reference.reachabilityFence(keep);
    }

    /** Wakes a blocked reader; the descriptor itself is released by {@link #close()}. */
    public void shutdown() {
        closed = true;
        Native.shutdown(fd);
    }

    @Override
    public void close() {
        shutdown();
        synchronized (receiveLock) {
            Native.close(fd);
        }
    }
}
