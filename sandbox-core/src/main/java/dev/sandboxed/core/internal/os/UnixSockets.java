package dev.sandboxed.core.internal.os;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.SandboxException;

/**
 * Named AF_UNIX SOCK_SEQPACKET sockets: a listener on a path, connections to it, and the peer's uid. The JDK's unix
 * channels pass no descriptors, which the operations socket needs. Every descriptor is close-on-exec.
 */
public final class UnixSockets {
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    /** sizeof(struct sockaddr_un) is 110: family, then a path of at most 107 bytes and its NUL. */
    private static final int SUN_PATH_MAX = 107;

    private UnixSockets() {
    }

    /**
     * A socket listening on {@code path} with mode 0600 (set before anyone may connect: the socket is made in a private
     * directory, and chmod comes before listen). A file left at {@code path} is replaced.
     */
    public static int listen(Path path, String purpose) {
        byte[] address = sockaddr(path);
        int fd = Native.libc().socket(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket for " + purpose);
        }
        try {
            path.toFile().delete(); // a socket of a dead process that had this pid
            if (Native.libc().bind(fd, address, address.length) < 0) {
                throw Native.failure("bind " + purpose + " to " + path);
            }
            if (Native.libc().chmod(path.toString(), 0600) < 0) {
                throw Native.failure("chmod 0600 " + path);
            }
            if (Native.libc().listen(fd, 64) < 0) {
                throw Native.failure("listen on " + path);
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
            int fd = Native.libc().accept4(listener, null, null, Native.SOCK_CLOEXEC);
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

    /** A connection to the listener at {@code path}. */
    public static int connect(Path path, String purpose) {
        byte[] address = sockaddr(path);
        int fd = Native.libc().socket(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket for " + purpose);
        }
        if (Native.libc().connect(fd, address, address.length) < 0) {
            SandboxException failure = Native.failure("connect to " + purpose + " at " + path);
            Native.close(fd);
            throw failure;
        }
        return fd;
    }

    /** The uid of the process at the other end of a connected unix socket, as the kernel recorded it. */
    public static int peerUid(int fd) {
        int[] ucred = new int[3];
        int[] length = {12};
        if (Native.libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ucred, length) < 0) {
            throw Native.failure("read the peer credentials of a connection");
        }
        return ucred[1];
    }

    private static byte[] sockaddr(Path path) {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > SUN_PATH_MAX) {
            throw new SandboxException("socket path " + path + " is longer than " + SUN_PATH_MAX + " bytes", 0);
        }
        byte[] address = new byte[2 + name.length + 1];
        address[0] = (byte) Native.AF_UNIX; // sa_family_t, little-endian on x86_64 and aarch64
        System.arraycopy(name, 0, address, 2, name.length);
        return address;
    }
}
