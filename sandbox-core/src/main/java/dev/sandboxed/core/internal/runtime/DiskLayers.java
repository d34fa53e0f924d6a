package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

import dev.sandboxed.core.internal.image.FileNames;
import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.image.OwnerApplier;
import dev.sandboxed.core.internal.image.OwnerPolicy;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PrivateDirectory;
import dev.sandboxed.core.result.Errno;

/**
 * Image sandboxes' writable layers on disk: {@code writable/ID} beside the image cache (the same file system as the
 * layers), made when the sandbox starts and removed when it closes, or by the next runtime when its JVM died. What the
 * sandbox wrote there may belong to its subordinate ids: then only {@code sandbox-init --remove-tree} can remove it.
 */
public final class DiskLayers {
    private static final System.Logger LOG = System.getLogger(DiskLayers.class.getName());
    private static final int AT_FDCWD = -100;
    /** As sandbox-init --remove-tree allows. */
    private static final int MAX_DEPTH = 4096;

    private DiskLayers() {
    }

    private static Path directory(String sandboxId) {
        return ImageCache.defaultDirectory().resolve("writable").resolve(sandboxId);
    }

    /** A new, empty layer directory for the sandbox (0700, as is its parent). */
    static Path create(String sandboxId) {
        Path dir = directory(sandboxId);
        try {
            PrivateDirectory.ensure(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("create the writable layer " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes the sandbox's layer directory if it has one; logs what could not be removed. */
    public static void removeIfPresent(String sandboxId) {
        Path dir = directory(sandboxId);
        if (!Files.exists(dir)) {
            return;
        }
        try {
            try {
                deleteTree(dir);
            } catch (FileSystemException notOurs) {
                if (notOurs instanceof NoSuchFileException) {
                    throw notOurs;
                }
                OwnerApplier applier = new OwnerApplier(OwnerPolicy.current(), InitBinary::locate);
                if (!applier.active()) {
                    throw notOurs;
                }
                applier.removeTree(dir);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not remove the writable layer " + dir + ": " + e);
        }
    }

    /**
     * Our own files, each directory made searchable first (overlayfs leaves its work directory at mode 000). A process
     * of the sandbox may still run and swap a directory for a link: no link is ever followed. Each directory is held
     * by an O_PATH descriptor opened with O_NOFOLLOW and reached through /proc/self/fd/N, whose last component (the
     * entry to remove) the kernel does not follow either. Without recursion, since the sandbox may nest deeper than a
     * stack; one descriptor per level.
     */
    private static void deleteTree(Path top) throws IOException {
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
            byte[] bytes = FileNames.bytes(name);
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
