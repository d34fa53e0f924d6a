package dev.sandboxed.core.internal.os;

import java.nio.charset.StandardCharsets;

import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.SandboxException;

/**
 * AF_UNIX SOCK_SEQPACKET sockets in the abstract namespace (a name, no file): a listener, connections to it, and the
 * peer's credentials. The JDK's unix channels pass no descriptors, which the operations socket needs. Every descriptor
 * is close-on-exec.
 */
public final class UnixSockets {
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    /** sizeof(struct sockaddr_un) is 110: family, then the name (a leading NUL and at most 107 bytes). */
    private static final int NAME_MAX = 107;

    /** What the kernel recorded of the process at the other end when it connected (or listened). */
    public record Peer(int pid, int uid, int gid) {
    }

    private UnixSockets() {
    }

    /** A socket listening on abstract name {@code name}; fails with EADDRINUSE when someone holds it. */
    public static int listen(String name, String purpose) {
        byte[] address = sockaddr(name);
        int fd = Native.libc().socket(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket for " + purpose);
        }
        try {
            if (Native.libc().bind(fd, address, address.length) < 0) {
                throw Native.failure("bind " + purpose + " to @" + name);
            }
            if (Native.libc().listen(fd, 64) < 0) {
                throw Native.failure("listen on @" + name);
            }
            return fd;
        } catch (RuntimeException e) {
            Native.close(fd);
            throw e;
        }
    }

    /** The next connection to a listener; -1 once the listener was shut down. */
    public static int accept(int listener) {
        while (true) {
            int fd = Native.libc().accept4(listener, Native.SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            int errno = Native.lastErrno();
            if (errno != Errno.EINTR && errno != ECONNABORTED) {
                return -1;
            }
        }
    }

    private static final int ECONNABORTED = 103;

    /** A connection to the listener on abstract name {@code name}. */
    public static int connect(String name, String purpose) {
        byte[] address = sockaddr(name);
        int fd = Native.libc().socket(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket for " + purpose);
        }
        if (Native.libc().connect(fd, address, address.length) < 0) {
            SandboxException failure = Native.failure("connect to " + purpose + " at @" + name);
            Native.close(fd);
            throw failure;
        }
        return fd;
    }

    /** The process at the other end of a connected unix socket, as the kernel recorded it (ids in our namespaces). */
    public static Peer peer(int fd) {
        int[] ucred = new int[3];
        int[] length = {12};
        if (Native.libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ucred, length) < 0) {
            throw Native.failure("read the peer credentials of a connection");
        }
        return new Peer(ucred[0], ucred[1], ucred[2]);
    }

    private static byte[] sockaddr(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > NAME_MAX) {
            throw new SandboxException("socket name " + name + " is longer than " + NAME_MAX + " bytes", 0);
        }
        byte[] address = new byte[2 + 1 + bytes.length]; // family, NUL (the abstract namespace), name; no terminator
        address[0] = (byte) Native.AF_UNIX; // sa_family_t, little-endian on x86_64 and aarch64
        System.arraycopy(bytes, 0, address, 3, bytes.length);
        return address;
    }
}
