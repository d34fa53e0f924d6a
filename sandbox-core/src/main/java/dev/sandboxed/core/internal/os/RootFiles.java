package dev.sandboxed.core.internal.os;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import dev.sandboxed.core.result.Errno;

/**
 * Reads a file inside a root directory the way the sandbox would see it, never anything outside it. The path is
 * resolved by openat2(2) with RESOLVE_IN_ROOT relative to the root ({@code ..} and absolute symlinks stay in the
 * root, as after chroot), magic links are refused, and the last component must not be a link (O_NOFOLLOW). Only a
 * regular file is read, through the descriptor that was checked, and only up to a size cap: a link to /etc/shadow,
 * /dev/zero or a FIFO must neither leak host data, exhaust memory nor hang.
 *
 * <p>Mount points inside the root are crossed (no RESOLVE_NO_XDEV): a root assembled from mounts is legitimate, and
 * RESOLVE_IN_ROOT already keeps every step inside it.
 */
public final class RootFiles {
    /** Enough for any passwd, group or image configuration file. */
    public static final long DEFAULT_MAX_BYTES = 4L << 20;

    private static final long SYS_OPENAT2 = 437; // the same on x86_64 and aarch64 (asm-generic numbering)
    private static final int O_PATH = 0x200000;
    // O_DIRECTORY and O_NOFOLLOW differ between architectures (arm64 uses the generic values, x86 its own).
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final int O_DIRECTORY = ARM64 ? 040000 : 0200000;
    private static final int O_NOFOLLOW = ARM64 ? 0100000 : 0400000;
    private static final int O_NONBLOCK = 0x800;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_IN_ROOT = 0x10;
    private static final int OPEN_HOW_SIZE = 24; // struct open_how {u64 flags; u64 mode; u64 resolve}
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_SIZE = 0x200;
    private static final int STATX_BUFFER = 256;
    private static final int STX_MODE = 0x1C; // u16, layout fixed by the kernel's UAPI on every architecture
    private static final int STX_SIZE = 0x28; // u64
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int ENOSYS = 38;
    private static final int ELOOP = 40;
    private static final int EXDEV = 18;
    private static final int ATTEMPTS = 8;

    private RootFiles() {
    }

    /**
     * The contents of {@code pathInside} (an absolute path as the sandbox sees it) in {@code root}.
     *
     * @throws RootFileException naming the file and the reason in one line
     */
    public static byte[] read(Path root, String pathInside, long maxBytes) throws RootFileException {
        String where = pathInside + " in root " + root;
        int rootFd = Native.libc().open(root.toString(), O_PATH | O_DIRECTORY | Native.O_CLOEXEC, 0);
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
        Pointer how = Memory.allocateDirect(Native.runtime(), OPEN_HOW_SIZE, true);
        how.putLong(0, Native.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | Native.O_CLOEXEC);
        how.putLong(8, 0);
        how.putLong(16, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        for (int attempt = 1;; attempt++) {
            long fd = Native.libc().syscall(SYS_OPENAT2, rootFd, pathInside, how, OPEN_HOW_SIZE);
            if (fd >= 0) {
                return (int) fd;
            }
            int errno = Native.lastErrno();
            // EAGAIN: a rename elsewhere raced the in-root resolution; the kernel asks for a retry.
            if ((errno == Errno.EAGAIN || errno == Errno.EINTR) && attempt < ATTEMPTS) {
                continue;
            }
            throw new RootFileException(where + ": " + openFailure(errno));
        }
    }

    private static String openFailure(int errno) {
        return switch (errno) {
            case ELOOP -> "is a symbolic link, which is not followed (" + Errno.name(errno) + ")";
            case EXDEV -> "resolves outside the root (" + Errno.name(errno) + ")";
            case ENOSYS -> "openat2(2) is not available: Linux 5.12 or newer is required (ENOSYS)";
            default -> Errno.describe(errno);
        };
    }

    private static void checkRegularFile(int fd, String where, long maxBytes) throws RootFileException {
        Pointer stx = Memory.allocateDirect(Native.runtime(), STATX_BUFFER, true);
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
