package dev.sandboxed.core.internal.os;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

import dev.sandboxed.core.result.Errno;

/**
 * Removes a directory tree of this user that a sandbox wrote to (a writable layer, a directory shared with a
 * sandboxed JVM): each directory is made searchable first (a sandbox may leave one at mode 000, which its owner
 * cannot list) and no link is ever followed, since a process of the sandbox may still run and swap a directory for a
 * link. Each directory is held by an O_PATH descriptor opened with O_NOFOLLOW and reached through /proc/self/fd/N,
 * whose last component (the entry to remove) the kernel does not follow either. Without recursion, since the sandbox
 * may nest deeper than a stack; one descriptor per level.
 */
public final class OwnTree {
    private static final int AT_FDCWD = -100;
    /** As sandbox-init --remove-tree allows. */
    private static final int MAX_DEPTH = 4096;
    /** The bytes the JVM names files with (see dev.sandboxed.core.internal.image.FileNames). */
    private static final Charset NAMES = names();

    private OwnTree() {
    }

    private static Charset names() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /**
     * Deletes {@code top} and all in it; a link at {@code top} itself is refused (FileSystemException "not a
     * directory"). An entry another user owns fails it with an AccessDeniedException.
     */
    public static void delete(Path top) throws IOException {
        Deque<Opened> levels = new ArrayDeque<>();
        try {
            Opened first = Opened.open(AT_FDCWD, top.toAbsolutePath().toString(), top);
            if (first == null) {
                throw new FileSystemException(top.toString(), null, "not a directory");
            }
            levels.push(first);
            while (!levels.isEmpty()) {
                Opened level = levels.peek();
                if (!level.names.hasNext()) {
                    levels.pop().close();
                    Files.delete(level.inParent);
                    continue;
                }
                Path name = level.names.next();
                Path entry = level.self.resolve(name);
                if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(entry);
                } else if (levels.size() >= MAX_DEPTH) {
                    throw new FileSystemException(top.toString(), null, "more than " + MAX_DEPTH + " levels deep");
                } else {
                    Opened sub = Opened.open(level.fd, name.toString(), entry);
                    if (sub == null) {
                        Files.deleteIfExists(entry); // no longer a directory: a link or file that replaced it
                    } else {
                        levels.push(sub);
                    }
                }
            }
        } finally {
            levels.forEach(Opened::close);
        }
    }

    /** A directory being emptied: its descriptor, its entries as read once it was searchable, its name in its parent. */
    private static final class Opened {
        final int fd;
        final Path self;
        final Path inParent;
        Iterator<Path> names;

        private Opened(int fd, Path inParent) {
            this.fd = fd;
            this.self = Path.of("/proc/self/fd/" + fd);
            this.inParent = inParent;
        }

        /** The directory {@code name} in {@code parentFd}, or null when it is not one (any more). */
        static Opened open(int parentFd, String name, Path inParent) throws IOException {
            byte[] bytes = name.getBytes(NAMES);
            int fd = Native.libc().openat(parentFd, Arrays.copyOf(bytes, bytes.length + 1),
                    Native.O_PATH | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
            if (fd < 0 && (Native.lastErrno() == Errno.ELOOP || Native.lastErrno() == Errno.ENOTDIR)) {
                return null;
            }
            if (fd < 0) {
                throw failure(inParent, "open");
            }
            Opened level = new Opened(fd, inParent);
            try {
                if (Native.libc().chmod(level.self.toString(), 0700) < 0) {
                    throw failure(inParent, "chmod");
                }
                List<Path> names = new ArrayList<>();
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(level.self)) {
                    entries.forEach(e -> names.add(e.getFileName()));
                }
                level.names = names.iterator();
                return level;
            } catch (IOException | RuntimeException e) {
                level.close();
                throw e;
            }
        }

        private static FileSystemException failure(Path where, String step) {
            int errno = Native.lastErrno();
            String reason = step + ": " + Errno.describe(errno);
            return errno == Errno.EACCES || errno == Errno.EPERM ? new AccessDeniedException(where.toString(), null, reason)
                    : new FileSystemException(where.toString(), null, reason);
        }

        void close() {
            Native.close(fd);
        }
    }
}
