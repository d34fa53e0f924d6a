package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageException;

/**
 * Which images sandboxes use, so that a prune keeps them, and when they were last used, so that it removes the least
 * recently used first. While a JVM runs sandboxes from an image it holds a shared lock on {@code locks/use-HEX.lock}
 * (HEX the manifest digest), taken as the first of them starts ({@link #started}) and released as the last one
 * ends ({@link #ended}); a start also sets the image record's modification time, at most once a minute. A prune
 * takes each such lock exclusively, without waiting: one it cannot take is in use.
 */
public final class ImageUse {
    private static final long TOUCH_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Map<String, Held> HELD = new ConcurrentHashMap<>();
    /** Starts of this JVM take a use lock under the read lock, its prunes scan them under the write lock. */
    private static final ReentrantReadWriteLock SCAN = new ReentrantReadWriteLock();

    private ImageUse() {
    }

    /** This JVM's use of one image of one cache: how many of its sandboxes run, and the lock they hold. */
    private static final class Held {
        final Path lockFile;
        final Path record;
        volatile int running;
        volatile long touched;
        FileChannel channel; // guarded by this

        Held(Path lockFile, Path record) {
            this.lockFile = lockFile;
            this.record = record;
        }
    }

    /** Called as a sandbox starts from {@code image}: keeps it from prunes until {@link #ended}, notes the use. */
    public static void started(Image image) {
        Path root = ImageCache.rootOfLayer(image.layers().get(0));
        String key = root + "\0" + image.digest();
        Held held = HELD.get(key);
        if (held == null) {
            if (!Files.isDirectory(root.resolve("locks"), LinkOption.NOFOLLOW_LINKS)) {
                return; // layers outside an image cache (made by hand): no prune removes them
            }
            held = HELD.computeIfAbsent(key, k -> new Held(useLock(root, image.digest()),
                    ImageCache.indexFile(root, image.source())));
        }
        synchronized (held) {
            if (held.running == 0) {
                held.channel = acquireAgainstRemovals(held.lockFile, root, image);
            }
            held.running++;
        }
        long now = System.nanoTime();
        if (held.touched == 0 || now - held.touched > TOUCH_INTERVAL_NANOS) {
            held.touched = now == 0 ? 1 : now;
            touch(held.record);
        }
    }

    /**
     * The use lock file of {@code image}, for a process that holds it shared on a sandbox's behalf after this JVM (a
     * kept sandbox's keeper); empty for layers outside an image cache, which no prune removes.
     */
    public static Optional<Path> lockFile(Image image) {
        Path root = ImageCache.rootOfLayer(image.layers().get(0));
        return Files.isDirectory(root.resolve("locks"), LinkOption.NOFOLLOW_LINKS)
                ? Optional.of(useLock(root, image.digest()))
                : Optional.empty();
    }

    /** Called as a sandbox from {@code image} has ended: the last one of this JVM releases the use lock. */
    public static void ended(Image image) {
        Held held = HELD.get(ImageCache.rootOfLayer(image.layers().get(0)) + "\0" + image.digest());
        if (held == null) {
            return;
        }
        synchronized (held) {
            if (held.running > 0 && --held.running == 0) {
                try {
                    held.channel.close(); // releases the lock
                } catch (IOException e) {
                    // the lock goes with the descriptor anyway
                }
                held.channel = null;
            }
        }
    }

    /**
     * Takes the use lock while no removal runs: a removal in another JVM lists the use locks only once, and one made
     * after its list would not keep it from deleting the layers. The store lock comes first, as removals take it.
     */
    private static FileChannel acquireAgainstRemovals(Path lockFile, Path root, Image image) {
        try {
            return ImageCache.sharedAhead(root, ImageStore.STORE_LOCK, () -> {
                SCAN.readLock().lock();
                try {
                    return acquire(lockFile, root, image);
                } finally {
                    SCAN.readLock().unlock();
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("lock image " + image.source() + " in " + root + ": " + e.getMessage(), e);
        }
    }

    private static FileChannel acquire(Path lockFile, Path root, Image image) {
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                channel.lock(0, Long.MAX_VALUE, true); // waits while a prune in another JVM decides
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            for (Path layer : image.layers()) {
                if (!Files.isDirectory(layer, LinkOption.NOFOLLOW_LINKS)) {
                    channel.close();
                    throw new ImageException("image " + image.source() + " was removed from the cache " + root
                            + " (images prune or rm); pull it again");
                }
            }
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException("lock image " + image.source() + " in " + lockFile + ": " + e.getMessage(), e);
        }
    }

    /** Notes a use of the image a record describes: its modification time is the last use. */
    static void touch(Path record) {
        try {
            Files.setLastModifiedTime(record, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (NoSuchFileException e) {
            // pulled under another source name, or removed: nothing to note
        } catch (IOException e) {
            System.getLogger(ImageUse.class.getName()).log(System.Logger.Level.DEBUG,
                    "note the use of " + record + ": " + e.getMessage());
        }
    }

    static Path useLock(Path cacheRoot, String digest) {
        return cacheRoot.resolve("locks").resolve("use-" + ImageCache.hex(digest) + ".lock");
    }

    /**
     * The manifest digests sandboxes of this or another JVM use. The use locks not in use stay locked by {@code scan} until it is
     * closed, so that no sandbox starts from them meanwhile: close it when the removals are done.
     */
    static Scan scan(Path cacheRoot) throws IOException {
        SCAN.writeLock().lock();
        Scan scan = new Scan();
        try {
            for (Map.Entry<String, Held> e : HELD.entrySet()) {
                if (e.getKey().startsWith(cacheRoot + "\0") && e.getValue().running > 0) {
                    scan.inUse.add(e.getKey().substring(e.getKey().indexOf('\0') + 1));
                }
            }
            try (DirectoryStream<Path> locks = Files.newDirectoryStream(cacheRoot.resolve("locks"), "use-*.lock")) {
                for (Path file : locks) {
                    String name = file.getFileName().toString();
                    String digest = "sha256:" + name.substring("use-".length(), name.length() - ".lock".length());
                    if (scan.inUse.contains(digest)) {
                        continue;
                    }
                    FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
                    FileLock lock;
                    try {
                        lock = channel.tryLock();
                    } catch (OverlappingFileLockException e) {
                        lock = null;
                    }
                    if (lock == null) {
                        channel.close();
                        scan.inUse.add(digest);
                    } else {
                        scan.locked.add(channel);
                    }
                }
            }
            return scan;
        } catch (IOException | RuntimeException e) {
            scan.close();
            throw e;
        }
    }

    static final class Scan implements AutoCloseable {
        final Set<String> inUse = new HashSet<>();
        private final List<FileChannel> locked = new ArrayList<>();
        private boolean closed;

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                for (FileChannel channel : locked) {
                    try {
                        channel.close();
                    } catch (IOException e) {
                        // closing a lock file: the lock goes with the descriptor anyway
                    }
                }
            } finally {
                SCAN.writeLock().unlock();
            }
        }
    }
}
