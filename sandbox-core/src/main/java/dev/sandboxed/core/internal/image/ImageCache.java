package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The per-user, content-addressed image cache ({@code sandboxed.image.cache}, else {@code $XDG_CACHE_HOME/sandboxed},
 * else {@code ~/.cache/sandboxed}), shared by every JVM of the user:
 * <ul>
 * <li>{@code blobs/sha256/HEX}: manifests and configs, verified before they are stored;
 * <li>{@code layers/sha256/HEX}: each layer blob extracted in its own directory (overlayfs's lower layers);
 * <li>{@code images/HEX.json}: what a source (a reference or layout) resolved to, HEX the SHA-256 of its text;
 * <li>{@code tmp/}: work in progress, named with the pulling process's pid; {@code locks/}: lock files.
 * </ul>
 * Everything is made in {@code tmp/} and renamed into place when complete, so a reader only ever sees finished
 * entries, and an interrupted pull leaves nothing but a temporary directory that the next pull removes once its
 * process is gone. Work on one key is serialised across JVMs by a lock file, and within a JVM by a lock object (a
 * JVM cannot hold two locks of one file).
 */
public final class ImageCache {
    public static final String PROPERTY = "sandboxed.image.cache";
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final Map<Path, SharedLock> SHARED_LOCKS = new ConcurrentHashMap<>();
    /** This JVM's owner of work in progress, per cache root (see {@link WorkOwner}). */
    private static final Map<Path, WorkOwner> WORK_OWNERS = new ConcurrentHashMap<>();
    private static final String OWNER_SUFFIX = ".owner";
    private final Path root;
    private final Optional<OwnerApplier> owners;

    public ImageCache(Path root) {
        this(root, Optional.empty());
    }

    /** {@code owners}: removes trees whose files a rootless layer's owners hold ({@link #deleteTree}). */
    public ImageCache(Path root, Optional<OwnerApplier> owners) {
        this.owners = owners;
        this.root = root.toAbsolutePath().normalize();
        try {
            for (String dir : new String[] {"blobs/sha256", "layers/sha256", "images", "tmp", "locks"}) {
                Files.createDirectories(this.root.resolve(dir));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("create the image cache " + this.root + ": " + e.getMessage(), e);
        }
        removeAbandonedWork();
    }

    /** The default place, from the system property, XDG_CACHE_HOME or the home directory. */
    public static Path defaultDirectory() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "sandboxed");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "sandboxed");
    }

    public Path root() {
        return root;
    }

    /** The cache that holds an extracted layer's directory ({@code ROOT/layers/sha256/HEX}). */
    public static Path rootOfLayer(Path layerDirectory) {
        return layerDirectory.toAbsolutePath().normalize().getParent().getParent().getParent();
    }

    public Path layerDirectory(String digest) {
        return root.resolve("layers/sha256").resolve(hex(digest));
    }

    public boolean hasLayer(String digest) {
        return Files.isDirectory(layerDirectory(digest), LinkOption.NOFOLLOW_LINKS);
    }

    public Path imagesDirectory() {
        return root.resolve("images");
    }

    public Path indexFile(String source) {
        return indexFile(root, source);
    }

    /** The record of what {@code source} resolved to in the cache at {@code root}. */
    static Path indexFile(Path root, String source) {
        return root.resolve("images").resolve(hex(VerifyingInputStream.sha256(source.getBytes(StandardCharsets.UTF_8))) + ".json");
    }

    public Optional<byte[]> blob(String digest) {
        try {
            return Optional.of(Files.readAllBytes(root.resolve("blobs/sha256").resolve(hex(digest))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stores a verified blob (a manifest or config) under its digest. */
    public void putBlob(String digest, byte[] data) throws IOException {
        VerifyingInputStream.verified(data, digest, "blob");
        writeAtomically(root.resolve("blobs/sha256").resolve(hex(digest)), data);
    }

    /** Writes a file by renaming a finished temporary file over it. */
    public void writeAtomically(Path file, byte[] data) throws IOException {
        Path tmp = root.resolve("tmp").resolve(workOwner() + "-" + System.nanoTime() + ".part");
        Files.write(tmp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A new private directory for work in progress, named after this JVM's {@link WorkOwner}. */
    public Path newWorkDirectory(String what) throws IOException {
        return Files.createTempDirectory(root.resolve("tmp"), workOwner() + "-" + what + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** Renames a finished work directory into place; false when another process finished the same work first. */
    public boolean commit(Path work, Path destination) throws IOException {
        try {
            Files.move(work, destination, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            deleteTree(work);
            return false;
        } catch (IOException e) {
            if (Files.isDirectory(destination)) {
                deleteTree(work); // rename(2) over a non-empty directory: ENOTEMPTY
                return false;
            }
            throw e;
        }
    }

    /** Runs {@code work} holding the lock named {@code key}, across threads and across processes. */
    public <T> T locked(String key, IoSupplier<T> work) throws IOException {
        Path lockFile = root.resolve("locks").resolve(key + ".lock");
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.lock(); // released when the channel closes
            try {
                return work.get();
            } finally {
                lock.release();
            }
        } finally {
            jvmLock.unlock();
        }
    }

    /**
     * Runs {@code work} holding the lock {@code key} shared with other shared holders (pulls hold the store lock
     * so), across threads and processes; {@link #exclusive} waits for every shared holder. A JVM cannot hold two
     * locks of one file, so its threads share one file lock, taken by the first and released by the last.
     */
    public <T> T shared(String key, IoSupplier<T> work) throws IOException {
        return shared(root, key, work, false);
    }

    /**
     * {@link #shared(String, IoSupplier)} in the cache at {@code root}, for short work of a caller that holds no
     * instance. It goes ahead of a removal of this JVM that waits for the lock, and waits only while one holds it: a
     * pull, which may hold the lock for minutes, would otherwise keep it waiting behind that removal.
     */
    static <T> T sharedAhead(Path root, String key, IoSupplier<T> work) throws IOException {
        return shared(root.toAbsolutePath().normalize(), key, work, true);
    }

    private static <T> T shared(Path root, String key, IoSupplier<T> work, boolean ahead) throws IOException {
        SharedLock k = SHARED_LOCKS.computeIfAbsent(root.resolve("locks").resolve(key + ".lock"), SharedLock::new);
        if (!ahead || !k.jvm.readLock().tryLock()) { // tryLock takes a free read lock even with writers queued
            k.jvm.readLock().lock();
        }
        try {
            synchronized (k) {
                if (k.holders == 0) {
                    FileChannel channel = FileChannel.open(k.file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                            StandardOpenOption.WRITE);
                    try {
                        channel.lock(0, Long.MAX_VALUE, true);
                    } catch (IOException | RuntimeException e) {
                        channel.close();
                        throw e;
                    }
                    k.channel = channel;
                }
                k.holders++;
            }
            try {
                return work.get();
            } finally {
                synchronized (k) {
                    if (--k.holders == 0) {
                        k.channel.close(); // releases the lock
                        k.channel = null;
                    }
                }
            }
        } finally {
            k.jvm.readLock().unlock();
        }
    }

    /** Runs {@code work} holding the lock {@code key} alone: no {@link #shared} holder in any process. */
    public <T> T exclusive(String key, IoSupplier<T> work) throws IOException {
        SharedLock k = SHARED_LOCKS.computeIfAbsent(root.resolve("locks").resolve(key + ".lock"), SharedLock::new);
        k.jvm.writeLock().lock();
        try (FileChannel channel = FileChannel.open(k.file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.lock();
            return work.get();
        } finally {
            k.jvm.writeLock().unlock();
        }
    }

    private static final class SharedLock {
        final Path file;
        final ReentrantReadWriteLock jvm = new ReentrantReadWriteLock();
        int holders;
        FileChannel channel;

        SharedLock(Path file) {
            this.file = file;
        }
    }

    /**
     * Deletes a cache entry in use by nobody (a layer directory, a record's layers): renamed out of sight into
     * {@code tmp/} first, so no reader ever sees half of it, then deleted.
     */
    public void retire(Path entry) throws IOException {
        if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path doomed = newWorkDirectory("removed");
        try {
            Files.move(entry, doomed.resolve("entry"), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            // removed meanwhile
        }
        deleteTree(doomed);
    }

    @FunctionalInterface
    public interface IoSupplier<T> {
        T get() throws IOException;
    }

    /**
     * The name this JVM gives its work in progress in this cache, {@code PID.RANDOM}, and the lock that says it runs:
     * {@code tmp/PID.RANDOM.owner}, held until the JVM ends. A pid alone cannot say so when the cache is shared by
     * processes in other pid namespaces (containers on a shared volume): a live one's pid looks dead, or another's.
     */
    private record WorkOwner(String name, FileChannel lock) {
        static WorkOwner create(Path root) {
            String name = ProcessHandle.current().pid() + "." + Long.toHexString(new SecureRandom().nextLong() >>> 1);
            Path file = root.resolve("tmp").resolve(name + OWNER_SUFFIX);
            try {
                FileChannel lock = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                lock.lock(); // never released here: the kernel releases it when this JVM ends, however it ends
                return new WorkOwner(name, lock);
            } catch (IOException e) {
                throw new UncheckedIOException("create " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private String workOwner() {
        return WORK_OWNERS.computeIfAbsent(root, WorkOwner::create).name();
    }

    /** Removes the work directories and files of processes that no longer run (an interrupted pull). */
    private void removeAbandonedWork() {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root.resolve("tmp"))) {
            for (Path entry : entries) {
                if (abandoned(entry.getFileName().toString())) {
                    deleteTree(entry);
                }
            }
        } catch (IOException e) {
            System.getLogger(ImageCache.class.getName()).log(System.Logger.Level.WARNING,
                    "image cache: cannot remove abandoned work in " + root.resolve("tmp") + ": " + e.getMessage());
        }
    }

    /** Whether an entry of {@code tmp/} belongs to a process that no longer runs. */
    private boolean abandoned(String name) {
        String owner = name.endsWith(OWNER_SUFFIX) ? name.substring(0, name.length() - OWNER_SUFFIX.length())
                : name.substring(0, Math.max(0, name.indexOf('-')));
        if (owner.contains(".")) {
            return !owner.equals(workOwner()) && lockIsFree(root.resolve("tmp").resolve(owner + OWNER_SUFFIX));
        }
        // Named by a pid alone (written before owners had locks): a pid of this pid namespace.
        long pid = !owner.isEmpty() && owner.chars().allMatch(Character::isDigit) ? Long.parseLong(owner) : -1;
        return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    }

    private static boolean lockIsFree(Path ownerLock) {
        try (FileChannel channel = FileChannel.open(ownerLock, StandardOpenOption.WRITE)) {
            return channel.tryLock() != null; // released as the channel closes
        } catch (NoSuchFileException gone) {
            return true; // removed with its owner's other work
        } catch (IOException | OverlappingFileLockException e) {
            return false; // this JVM's, or unknown: keep it
        }
    }

    /**
     * Removes a tree of the cache (a layer, work in progress), never following a link; the one place the cache
     * deletes trees. Rootless, a layer's files may belong to the caller's subordinate ids, which the caller cannot
     * remove: what is left then is removed from inside a user namespace with that range.
     */
    public void deleteTree(Path tree) throws IOException {
        try {
            LayerExtractor.removeExisting(tree);
        } catch (IOException e) {
            if (owners.isEmpty() || !owners.get().active()) {
                throw new IOException("remove " + tree + ": " + e.getMessage() + " (files owned by your subordinate ids"
                        + " need them mapped: " + owners.map(o -> o.policy().reason()).orElse("no owner remover")
                        + ")", e);
            }
            owners.get().removeTree(tree);
        }
    }

    static String hex(String digest) {
        if (!digest.matches("sha256:[a-f0-9]{64}")) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return digest.substring("sha256:".length());
    }
}
