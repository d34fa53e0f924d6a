package dev.sandboxed.core.internal.os;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import dev.sandboxed.core.result.Errno;

/**
 * Reads a file inside a root directory the way the sandbox would see it, never anything outside it. The path is
 * resolved by openat2(2) with RESOLVE_IN_ROOT relative to the root ({@code ..} and absolute symlinks stay in the
 * root, as after chroot), magic links are refused, and the last component must not be a link (Native.O_NOFOLLOW). Only a
 * regular file is read, through the descriptor that was checked, and only up to a size cap: a link to /etc/shadow,
 * /dev/zero or a FIFO must neither leak host data, exhaust memory nor hang.
 *
 * <p>Mount points inside the root are crossed (no RESOLVE_NO_XDEV): a root assembled from mounts is legitimate, and
 * RESOLVE_IN_ROOT already keeps every step inside it.
 */
public final class RootFiles {
    /** Enough for any passwd, group or image configuration file. */
    public static final long DEFAULT_MAX_BYTES = 4L << 20;

    private static final int O_NONBLOCK = 0x800;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_SIZE = 0x200;
    private static final int STATX_BUFFER = 256;
    private static final int STX_MODE = 0x1C; // u16, layout fixed by the kernel's UAPI on every architecture
    private static final int STX_SIZE = 0x28; // u64
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;

    private RootFiles() {
    }

    /**
     * The contents of {@code pathInside} (an absolute path as the sandbox sees it) in {@code root}.
     *
     * @throws RootFileException naming the file and the reason in one line
     */
    public static byte[] read(Path root, String pathInside, long maxBytes) throws RootFileException {
        String where = pathInside + " in root " + root;
        int rootFd = Native.libc().open(root.toString(), Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (rootFd < 0) {
            throw new RootFileException(where + ": cannot open the root: " + Errno.describe(Native.lastErrno()));
        }
        try {
            int fd = openInRoot(rootFd, pathInside, where);
            try {
                checkRegularFile(fd, where, maxBytes);
                return readAll(fd, where, maxBytes);
            } finally {
                Native.close(fd);
            }
        } finally {
            Native.close(rootFd);
        }
    }

    private static int openInRoot(int rootFd, String pathInside, String where) throws RootFileException {
        int fd = Native.openat2(rootFd, pathInside, Native.O_RDONLY | Native.O_NOFOLLOW | O_NONBLOCK | Native.O_CLOEXEC,
                Native.RESOLVE_IN_ROOT | Native.RESOLVE_NO_MAGICLINKS);
        if (fd < 0) {
            throw new RootFileException(where + ": " + openFailure(Native.lastErrno()));
        }
        return fd;
    }

    private static String openFailure(int errno) {
        return switch (errno) {
            case Errno.ELOOP -> "is a symbolic link, which is not followed (" + Errno.name(errno) + ")";
            case Errno.EXDEV -> "resolves outside the root (" + Errno.name(errno) + ")";
            case Errno.ENOSYS -> "openat2(2) is not available: Linux 5.12 or newer is required (Errno.ENOSYS)";
            default -> Errno.describe(errno);
        };
    }

    private static void checkRegularFile(int fd, String where, long maxBytes) throws RootFileException {
        ByteBuffer stx = Native.allocate(STATX_BUFFER);
        if (Native.libc().statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, stx) < 0) {
            throw new RootFileException(where + ": statx: " + Errno.describe(Native.lastErrno()));
        }
        int type = stx.getShort(STX_MODE) & S_IFMT;
        if (type != S_IFREG) {
            throw new RootFileException(where + ": is " + typeName(type) + ", not a regular file");
        }
        long size = stx.getLong(STX_SIZE);
        if (size > maxBytes) {
            throw new RootFileException(where + ": is " + size + " bytes, more than the " + maxBytes + " allowed");
        }
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0040000 -> "a directory";
            case 0020000 -> "a character device";
            case 0060000 -> "a block device";
            case 0010000 -> "a FIFO";
            case 0140000 -> "a socket";
            default -> "a special file";
        };
    }

    /** Reads to the end, refusing more than {@code maxBytes} even if the file grew after the size check. */
    private static byte[] readAll(int fd, String where, long maxBytes) throws RootFileException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (true) {
            long n = Native.libc().read(fd, buffer, buffer.length);
            if (n == 0) {
                return out.toByteArray();
            }
            if (n < 0) {
                int errno = Native.lastErrno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw new RootFileException(where + ": read: " + Errno.describe(errno));
            }
            out.write(buffer, 0, (int) n);
            if (out.size() > maxBytes) {
                throw new RootFileException(where + ": grew beyond the " + maxBytes + " bytes allowed while read");
            }
        }
    }
}
