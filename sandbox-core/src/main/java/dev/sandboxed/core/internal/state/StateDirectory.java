package dev.sandboxed.core.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PrivateDirectory;

/**
 * The per-user directory holding one sub-directory per live sandbox ({@code state.json} and a {@code lock}
 * held by the owning JVM). Under {@code $XDG_RUNTIME_DIR/sandboxed}, else {@code /dev/shm/sandboxed-<uid>}, else
 * {@code <tmp>/sandboxed-<uid>}; 0700. A tmpfs, because what it describes (processes, cgroups) dies with the machine,
 * and because every sandbox creates and removes entries: on a journaled disk that cost about 0.3 ms each.
 */
public final class StateDirectory {
    private static final System.Logger LOG = System.getLogger(StateDirectory.class.getName());
    /** Compact: every start writes an entry, and nobody needs it indented (about 5% of a start's JVM time). */
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public StateDirectory(Path root) {
        this.root = root;
    }

    /** The default location for this user; {@code configured} (sandboxed.state.dir) wins when given. */
    public static StateDirectory forCurrentUser(Optional<String> configured, int uid) {
        Path dir;
        if (configured.isPresent()) {
            dir = Path.of(configured.get());
        } else {
            String runtime = System.getenv("XDG_RUNTIME_DIR");
            Path shm = Path.of("/dev/shm");
            if (runtime != null && !runtime.isEmpty() && Files.isDirectory(Path.of(runtime)) && Files.isWritable(Path.of(runtime))) {
                dir = Path.of(runtime, "sandboxed");
            } else if (Files.isDirectory(shm) && Files.isWritable(shm)) {
                dir = shm.resolve("sandboxed-" + uid);
            } else {
                dir = Path.of(System.getProperty("java.io.tmpdir", "/tmp"), "sandboxed-" + uid);
            }
        }
        try {
            return new StateDirectory(PrivateDirectory.ensure(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("create the sandbox state directory " + dir, e);
        }
    }

    /**
     * The entries whose lock this JVM holds. A lock on a file is the process's (fcntl), and closing any descriptor
     * of that file in the process drops it: {@link #removeAbandoned} opening and closing the lock file of an entry
     * this JVM holds (another runtime here, on the same directory) would unlock it for every other JVM to remove.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    public Path root() {
        return root;
    }

    /** Creates the directory of a new sandbox and takes its lock; the lock is held until {@link Entry#remove()}. */
    public Entry create(String id) {
        Path dir = root.resolve(id);
        try {
            Files.createDirectory(dir);
            FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.lock();
            HELD.add(dir.toAbsolutePath().normalize());
            return new Entry(dir, channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("create state directory " + dir, e);
        }
    }

    /** One sandbox's directory, owned by this JVM. */
    public static final class Entry {
        private final Path dir;
        private final FileChannel channel;
        private final FileLock lock;

        private Entry(Path dir, FileChannel channel, FileLock lock) {
            this.dir = dir;
            this.channel = channel;
            this.lock = lock;
        }

        public Path directory() {
            return dir;
        }

        /** The state last written. */
        public SandboxState read() {
            try {
                return JSON.readValue(dir.resolve("state.json").toFile(), SandboxState.class);
            } catch (IOException e) {
                throw new UncheckedIOException("read " + dir.resolve("state.json"), e);
            }
        }

        public void write(SandboxState state) {
            Path tmp = dir.resolve("state.json.tmp");
            try {
                // Written aside and renamed: a JVM killed mid-write never leaves a torn state.json behind.
                Files.write(tmp, JSON.writeValueAsBytes(state));
                Files.move(tmp, dir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("write " + dir.resolve("state.json"), e);
            }
        }

        /**
         * The keeper lock file, created and opened for the keeper of a sandbox kept after this JVM: the keeper locks it
         * in its own process, and from then on {@link #removeAbandoned} leaves the entry alone while it is held (or
         * until the state's keptUntil). The descriptor is the caller's.
         */
        public int openKeeperLock() {
            return Native.open(dir.resolve(KEEPER_LOCK).toString(), Native.O_RDWR | Native.O_CREAT | Native.O_CLOEXEC,
                    0600, "keeper lock of " + dir);
        }

        /** The file the CLI builds a kept sandbox's processes from (see {@code ExecProfile}). */
        public Path execProfile() {
            return dir.resolve(EXEC_PROFILE);
        }

        /**
         * Releases the lock but keeps the entry: what it names could not be removed, and a later runtime's
         * {@link #removeAbandoned} retries; or its keeper holds it now.
         */
        public void release() {
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // the descriptor is gone either way
            } finally {
                HELD.remove(dir.toAbsolutePath().normalize());
            }
        }

        /** Deletes the directory and releases the lock. */
        public void remove() {
            try {
                Files.deleteIfExists(dir.resolve("state.json"));
                deleteEntryFiles(dir);
                Files.deleteIfExists(dir.resolve("lock"));
                try {
                    Files.delete(dir);
                } catch (DirectoryNotEmptyException tornWrite) {
                    Files.deleteIfExists(dir.resolve("state.json.tmp")); // only after a failed write
                    Files.delete(dir);
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "could not remove sandbox state " + dir + ": " + e);
            } finally {
                release();
            }
        }
    }

    /**
     * The state of every entry that has one, in no particular order: sandboxes (of every JVM of this user that uses
     * this directory) and pooled cgroups; an entry being written or removed meanwhile is left out.
     */
    public List<SandboxState> list() {
        List<SandboxState> states = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            for (Path dir : stream) {
                Path stateFile = dir.resolve("state.json");
                try {
                    if (Files.isRegularFile(stateFile)) {
                        states.add(JSON.readValue(stateFile.toFile(), SandboxState.class));
                    }
                } catch (IOException goneOrTorn) {
                    // removed while listed: no longer a sandbox
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("list " + root, e);
        }
        return states;
    }

    static final String KEEPER_LOCK = "keeper.lock";
    static final String EXEC_PROFILE = "exec.json";
    /**
     * The files an entry holds besides its state and lock: a network's members' /etc/hosts and /etc/resolv.conf, a
     * kept sandbox's keeper lock and exec profile.
     */
    private static final List<String> ENTRY_FILES = List.of("hosts", "resolv.conf", KEEPER_LOCK, EXEC_PROFILE);

    /** The exec profile of entry {@code id} (see {@code ExecProfile}). */
    public Path execProfile(String id) {
        return root.resolve(id).resolve(EXEC_PROFILE);
    }

    private static void deleteEntryFiles(Path dir) throws IOException {
        for (String name : ENTRY_FILES) {
            Files.deleteIfExists(dir.resolve(name));
        }
    }

    /**
     * Sandboxes whose owner died: their lock can be taken. Each is handed to {@code cleaner} with its lock
     * held, then its directory is removed; an entry whose clean-up fails is kept for the next attempt.
     */
    public int removeAbandoned(AbandonedSandboxCleaner cleaner) {
        return removeAbandoned(id -> true, cleaner);
    }

    /**
     * {@link #removeAbandoned(AbandonedSandboxCleaner)} for the entries whose id {@code which} accepts. An entry kept
     * after its JVM counts as abandoned once its keeper is gone (its keeper lock is free) or its keptUntil passed.
     */
    public int removeAbandoned(Predicate<String> which, AbandonedSandboxCleaner cleaner) {
        int removed = 0;
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            stream.forEach(dirs::add);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not list " + root + ": " + e);
            return 0;
        }
        for (Path dir : dirs) {
            Path lockFile = dir.resolve("lock");
            if (!which.test(dir.getFileName().toString()) || HELD.contains(dir.toAbsolutePath().normalize())
                    || !Files.isRegularFile(lockFile)) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    continue; // a live JVM owns it
                }
                try {
                    Path stateFile = dir.resolve("state.json");
                    Optional<SandboxState> state = Files.isRegularFile(stateFile)
                            ? Optional.of(JSON.readValue(stateFile.toFile(), SandboxState.class))
                            : Optional.empty();
                    if (keptAlive(dir, state)) {
                        continue;
                    }
                    try {
                        cleaner.clean(dir.getFileName().toString(), state);
                    } catch (RuntimeException e) {
                        // Keep the entry so a later runtime tries again; this one still starts.
                        LOG.log(Level.WARNING, "could not clean abandoned sandbox " + dir + ": " + e.getMessage());
                        continue;
                    }
                    Files.deleteIfExists(stateFile);
                    Files.deleteIfExists(dir.resolve("state.json.tmp"));
                    deleteEntryFiles(dir);
                    Files.deleteIfExists(lockFile);
                    Files.deleteIfExists(dir);
                    removed++;
                } finally {
                    lock.release();
                }
            } catch (OverlappingFileLockException ownedHere) {
                // this JVM holds it: alive
            } catch (IOException e) {
                LOG.log(Level.WARNING, "could not clean abandoned sandbox " + dir + ": " + e);
            }
        }
        return removed;
    }

    /**
     * Whether a keeper holds the entry (its lock on {@link #KEEPER_LOCK}), the hand-over to it was completed and its time
     * has not run out. Any other is cleaned like an abandoned one: the cleaner kills the keeper (when the entry names
     * it) and the init.
     */
    private static boolean keptAlive(Path dir, Optional<SandboxState> state) throws IOException {
        Path keeperLock = dir.resolve(KEEPER_LOCK);
        if (!Files.isRegularFile(keeperLock)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(keeperLock, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                lock.release();
                return false; // its keeper is gone
            }
        }
        if (state.isPresent() && !state.get().keptAfterJvm()) {
            // Its JVM died while handing it over (it writes keptBy before it lets go of the entry): nobody can reach
            // it, so it is abandoned. Its init is killed, and the keeper ends with it.
            return false;
        }
        return state.isEmpty() || !state.get().keepExpired(Instant.now());
    }

    /**
     * Removes what a dead owner left behind: processes and cgroups. The state is empty when the owner died
     * before writing it; the id (the directory's name) is all there is then.
     */
    @FunctionalInterface
    public interface AbandonedSandboxCleaner {
        void clean(String id, Optional<SandboxState> state);
    }
}
