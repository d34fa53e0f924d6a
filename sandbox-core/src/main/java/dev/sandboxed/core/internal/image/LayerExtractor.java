package dev.sandboxed.core.internal.image;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.Errno;

/**
 * Extracts one image layer (a tar, plain, gzip or zstd) into its own empty directory, in the form overlayfs stacks:
 * a whiteout ({@code .wh.NAME}) becomes a character device 0:0, which any user may create since Linux 5.8, and an
 * opaque marker ({@code .wh..wh..opq}) the {@code user.overlay.opaque} attribute that overlayfs reads when mounted
 * with {@code userxattr} in a user namespace (Linux 5.11). This is the layout rootless Podman's native overlay
 * driver uses, without fuse-overlayfs or a copy.
 *
 * <p>Nothing is ever written outside the directory: absolute names and {@code ..} are refused, every parent of an
 * entry is checked with lstat to be a real directory made by this extraction (a symbolic link as a parent is refused,
 * never followed), an entry replaces what was at its name instead of writing through it (files are created with
 * O_EXCL, which does not follow a link), and a hard link must point at a non-directory already extracted here. The
 * directory is private to one extraction, so nothing changes between a check and its use.
 *
 * <p>Modes are kept (setuid, setgid and sticky bits included) and applied to directories last, through a descriptor
 * opened without following links (a later entry may have replaced a directory with a link). Owners: real root
 * chowns each entry itself; rootless, the entries not owned by 0:0 are given their owners afterwards by an
 * {@link OwnerApplier} inside a user namespace mapped to the caller's subordinate range, and the layer is marked with
 * that range ({@link OwnerMark}); without a range everything belongs to the caller (root inside the sandbox). Device
 * nodes are skipped unless running as root.
 */
public final class LayerExtractor {
    private static final System.Logger LOG = System.getLogger(LayerExtractor.class.getName());
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;
    private static final long UTIME_OMIT = (1L << 30) - 2;

    /** System property: the most bytes one layer may unpack to (its tar, and the files written). */
    public static final String MAX_LAYER_BYTES = "sandboxed.image.max-layer-bytes";
    /** System property: the most entries one layer may hold. */
    public static final String MAX_LAYER_ENTRIES = "sandboxed.image.max-layer-entries";
    static final long DEFAULT_MAX_LAYER_BYTES = 16L << 30;
    static final long DEFAULT_MAX_LAYER_ENTRIES = 1_000_000;
    /**
     * The bytes all of one entry's headers may take together (GNU long names, pax records, the blocks around them).
     * Go's archive/tar, Docker's and containerd's reader, caps each such record at 1 MiB; a path the kernel accepts is
     * at most 4 KiB, so a layer that could be extracted never comes near it.
     */
    static final long MAX_HEADER_BYTES = 1 << 20;

    private final boolean asRoot;
    private final Optional<OwnerApplier> owners;
    private final long maxBytes;
    private final long maxEntries;

    /** Limits from {@link #MAX_LAYER_BYTES} and {@link #MAX_LAYER_ENTRIES}, else 16 GiB and a million entries. */
    public LayerExtractor(boolean asRoot) {
        this(asRoot, Optional.empty());
    }

    /** Rootless, {@code owners} gives the files their image owners (when it has a range). */
    public LayerExtractor(boolean asRoot, Optional<OwnerApplier> owners) {
        this.asRoot = asRoot;
        this.owners = owners;
        this.maxBytes = limit(MAX_LAYER_BYTES, DEFAULT_MAX_LAYER_BYTES);
        this.maxEntries = limit(MAX_LAYER_ENTRIES, DEFAULT_MAX_LAYER_ENTRIES);
    }

    private static long limit(String property, long fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            long limit = Long.parseLong(value.strip());
            if (limit > 0) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(property + "=" + value + ": expected a positive whole number");
    }

    /** {@code initBinary}: the verified sandbox-init that gives rootless owners. */
    public static LayerExtractor forThisProcess(Supplier<Path> initBinary) {
        boolean root = OwnIds.effectiveUid() == 0;
        return new LayerExtractor(root, root ? Optional.empty()
                : Optional.of(new OwnerApplier(OwnerPolicy.current(), initBinary)));
    }

    /** What gives rootless owners; empty as root, or when none was given. */
    public Optional<OwnerApplier> owners() {
        return owners;
    }

    /**
     * What a layer held: entries written, entries skipped (device nodes rootless, unknown types), entries given an
     * owner other than the caller rootless ({@code owned}), and entries that wanted one but stay the caller's
     * ({@code ownersDropped}: no subordinate range, or an id above it).
     */
    public record Result(long entries, long skipped, long owned, long ownersDropped) {
        public Result(long entries, long skipped) {
            this(entries, skipped, 0, 0);
        }
    }

    /** The tar inside a gzip or zstd stream, or the stream itself: recognised by its magic bytes. */
    public static InputStream decompressed(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new GZIPInputStream(in, 1 << 16);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd) {
            return new ZstdInputStream(in);
        }
        return in;
    }

    /** Extracts the tar read from {@code tar} (already decompressed) into the existing, empty directory {@code root}. */
    public Result extract(InputStream tar, Path root) throws IOException {
        // Each directory once, at its first position (parents before children), with its last entry's attributes.
        Map<Path, TarArchiveEntry> dirs = new LinkedHashMap<>();
        // Rootless: the owners to give afterwards, by relative path; an entry replacing a path forgets what was there.
        TreeMap<String, OwnerApplier.Owner> wanted = new TreeMap<>();
        long entries = 0;
        long skipped = 0;
        long[] written = {0};
        Bounded bounded = new Bounded(tar);
        TarArchiveInputStream in = new TarArchiveInputStream(bounded, StandardCharsets.UTF_8.name());
        TarArchiveEntry e;
        long headers = 0;
        while ((e = nextEntry(in, bounded)) != null) {
            if (++headers > maxEntries) {
                throw new LayerException("the layer holds more than " + maxEntries + " entries (" + MAX_LAYER_ENTRIES
                        + "); refused at '" + e.getName() + "'");
            }
            FileNames.check("entry", e.getName());
            if (e.isSymbolicLink() || e.isLink()) {
                FileNames.check("the link text of " + e.getName(), e.getLinkName());
            }
            List<String> name = components(e.getName(), "entry");
            if (name.isEmpty()) {
                continue; // "./": the layer's root, whose attributes overlayfs takes from the topmost layer anyway
            }
            ownerId(e.getLongUserId(), "uid", e);
            ownerId(e.getLongGroupId(), "gid", e);
            Path parent = parents(root, name.subList(0, name.size() - 1), e.getName(), true);
            String base = name.get(name.size() - 1);
            String relative = String.join("/", name);
            entries++;
            if (base.equals(OPAQUE)) {
                setOpaque(parent);
                continue;
            }
            if (base.startsWith(WHITEOUT + WHITEOUT)) {
                continue; // aufs metadata (.wh..wh.plnk and the like)
            }
            if (base.startsWith(WHITEOUT)) {
                String hiddenName = base.substring(WHITEOUT.length());
                if (hiddenName.isEmpty() || hiddenName.equals(".") || hiddenName.equals("..")
                        || hiddenName.indexOf('/') >= 0) {
                    // ".wh.", ".wh.." and ".wh..." would remove the directory itself or its parent, not a sibling.
                    throw new LayerException("whiteout '" + e.getName() + "' names no file beside it");
                }
                Path hidden = parent.resolve(hiddenName);
                forget(wanted, relative.substring(0, relative.length() - base.length()) + hiddenName);
                removeExisting(hidden);
                mknod(hidden, S_IFCHR, 0);
                continue;
            }
            Path dest = parent.resolve(base);
            if (e.isDirectory()) {
                if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                    forget(wanted, relative);
                    removeExisting(dest);
                    Files.createDirectory(dest);
                }
                dirs.put(dest, e);
                want(wanted, relative, e);
                continue;
            }
            forget(wanted, relative);
            removeExisting(dest);
            if (e.isSymbolicLink()) {
                // The text is kept as it is: the kernel resolves it inside the sandbox's root, never here.
                if (e.getLinkName().indexOf('\0') >= 0) {
                    throw new LayerException("symbolic link '" + e.getName() + "': its text holds a NUL byte");
                }
                Files.createSymbolicLink(dest, Path.of(e.getLinkName()));
                if (asRoot) {
                    lchown(dest, e);
                }
                want(wanted, relative, e);
                continue;
            } else if (e.isLink()) {
                List<String> targetName = components(e.getLinkName(), "hard link target");
                if (targetName.isEmpty()) {
                    throw new LayerException("hard link " + e.getName() + " points at the layer's root");
                }
                Path target = parents(root, targetName.subList(0, targetName.size() - 1), e.getLinkName(), false)
                        .resolve(targetName.get(targetName.size() - 1));
                BasicFileAttributes attrs = lstat(target);
                if (attrs == null || attrs.isDirectory()) {
                    throw new LayerException("hard link " + e.getName() + " -> " + e.getLinkName()
                            + ": the target is not a file extracted earlier in this layer");
                }
                Files.createLink(dest, target);
                continue; // a hard link shares the target's attributes
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                if (!asRoot) {
                    LOG.log(System.Logger.Level.INFO, "image layer: skipped device node " + e.getName()
                            + " (only root can create device nodes; the sandbox's /dev has the usual ones)");
                    skipped++;
                    continue;
                }
                mknod(dest, e.isCharacterDevice() ? S_IFCHR : S_IFBLK, makedev(e.getDevMajor(), e.getDevMinor()));
            } else if (e.isFIFO()) {
                mknod(dest, S_IFIFO, 0);
            } else if (e.isFile()) {
                try (OutputStream out = Files.newOutputStream(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    copy(in, out, written, e);
                }
            } else {
                LOG.log(System.Logger.Level.INFO, "image layer: skipped " + e.getName() + " of unknown tar type");
                skipped++;
                continue;
            }
            setAttributes(dest, e);
            want(wanted, relative, e);
        }
        setDirectoryAttributes(root, dirs);
        if (wanted.isEmpty()) {
            return new Result(entries, skipped);
        }
        return giveOwners(root, wanted, entries, skipped);
    }

    /** Rootless: an entry not owned by 0:0 is to get its owner after extraction. */
    private void want(TreeMap<String, OwnerApplier.Owner> wanted, String relative, TarArchiveEntry e) {
        int uid = ownerId(e.getLongUserId(), "uid", e);
        int gid = ownerId(e.getLongGroupId(), "gid", e);
        if (asRoot) {
            return;
        }
        if (uid != 0 || gid != 0) {
            wanted.put(relative, new OwnerApplier.Owner(uid, gid, e.getMode() & 07777));
        } else {
            wanted.remove(relative); // a directory's later entry, owned by root after all
        }
    }

    /** A path replaced or whited out: neither it nor anything that was beneath it gets an owner. */
    private static void forget(TreeMap<String, OwnerApplier.Owner> wanted, String relative) {
        wanted.remove(relative);
        wanted.subMap(relative + "/", relative + "0").clear(); // '0' follows '/': exactly the paths beneath
    }

    /**
     * Gives the wanted owners through the applier, ids above the range's count left the caller's; marks the layer
     * first, so a layer whose owners were given is never unmarked. Without a range, or on a file system without user
     * attributes, every file stays the caller's.
     */
    private Result giveOwners(Path root, TreeMap<String, OwnerApplier.Owner> wanted, long entries, long skipped)
            throws IOException {
        if (owners.isEmpty() || !owners.get().active()) {
            return new Result(entries, skipped, 0, wanted.size());
        }
        OwnerPolicy policy = owners.get().policy();
        Map<String, OwnerApplier.Owner> given = new LinkedHashMap<>();
        long highest = 0;
        for (Map.Entry<String, OwnerApplier.Owner> w : wanted.entrySet()) {
            OwnerApplier.Owner o = w.getValue();
            long uid = Integer.toUnsignedLong(o.uid());
            long gid = Integer.toUnsignedLong(o.gid());
            if (uid <= policy.count() && gid <= policy.count()) {
                given.put(w.getKey(), o);
                highest = Math.max(highest, Math.max(uid, gid));
            }
        }
        long dropped = wanted.size() - given.size();
        if (dropped > 0) {
            LOG.log(System.Logger.Level.WARNING, "image layer: " + dropped + " entries have a uid or gid above "
                    + policy.count() + ", the highest your subordinate range maps (e.g. '" + wanted.keySet().stream()
                            .filter(k -> !given.containsKey(k)).findFirst().orElse("") + "'); they stay owned by root");
        }
        if (given.isEmpty()) {
            return new Result(entries, skipped, 0, dropped);
        }
        try {
            policy.mark(highest).write(root);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "image layer: cannot record its owners on " + root + " ("
                    + e.getMessage() + "); its files stay owned by root: the cache's file system needs user attributes");
            return new Result(entries, skipped, 0, wanted.size());
        }
        owners.get().apply(root, given);
        return new Result(entries, skipped, given.size(), dropped);
    }

    /** The warning for an image whose layers wanted owners this host cannot give, with the fix; empty otherwise. */
    public Optional<String> ownersWarning(String image, long dropped) {
        if (dropped == 0 || asRoot || owners.map(OwnerApplier::active).orElse(false)) {
            return Optional.empty(); // with a range, only ids above it were dropped: each layer said so
        }
        return Optional.of("image " + image + ": " + dropped + " files are owned by other users in the image, but here"
                + " they are all owned by root inside the sandbox: " + owners.map(o -> o.policy().reason() + "; fix: "
                        + o.policy().fix() + ", then remove the image and pull it again")
                        .orElse("this extractor gives no owners"));
    }

    /**
     * Owners, modes and times of the directories, children before parents (a read-only parent still lets them be
     * reached). Each is opened again beneath {@code root} without following any link (openat2 with
     * RESOLVE_NO_SYMLINKS and RESOLVE_BENEATH, O_NOFOLLOW and Native.O_DIRECTORY) and changed through that descriptor: a
     * later entry may have replaced the directory, or one of its parents, with a link, and what the link points at
     * must never get the directory's mode (a setuid {@code d/} then {@code d -> /etc/shadow}). A directory replaced
     * that way is skipped.
     */
    private void setDirectoryAttributes(Path root, Map<Path, TarArchiveEntry> dirs) throws IOException {
        if (dirs.isEmpty()) {
            return;
        }
        int rootFd = Native.libc().open(root.toString(), Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        if (rootFd < 0) {
            throw new IOException("open " + root + ": " + Errno.describe(Native.lastErrno()));
        }
        try {
            List<Map.Entry<Path, TarArchiveEntry>> order = new ArrayList<>(dirs.entrySet());
            for (int i = order.size() - 1; i >= 0; i--) {
                Path dir = order.get(i).getKey();
                int fd = openBeneath(rootFd, root.relativize(dir).toString());
                if (fd < 0) {
                    LOG.log(System.Logger.Level.DEBUG, "image layer: " + root.relativize(dir)
                            + " is no longer a directory; its directory entry's attributes are not applied");
                    continue;
                }
                try {
                    setAttributes(fd, dir, order.get(i).getValue());
                } finally {
                    Native.close(fd);
                }
            }
        } finally {
            Native.close(rootFd);
        }
    }

    /** The directory {@code relative} beneath {@code rootFd}, or -1 when a link, a non-directory or nothing is there. */
    private static int openBeneath(int rootFd, String relative) throws IOException {
        int fd = Native.openat2(rootFd, relative, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC,
                Native.RESOLVE_NO_MAGICLINKS | Native.RESOLVE_NO_SYMLINKS | Native.RESOLVE_BENEATH);
        if (fd >= 0) {
            return fd;
        }
        int errno = Native.lastErrno();
        if (errno == Errno.ELOOP || errno == Errno.ENOTDIR || errno == Errno.ENOENT) {
            return -1;
        }
        throw new IOException("openat2 " + relative + ": " + Errno.describe(errno));
    }

    private void setAttributes(int fd, Path dir, TarArchiveEntry e) throws IOException {
        if (asRoot && Native.libc().fchown(fd, ownerId(e.getLongUserId(), "uid", e), ownerId(e.getLongGroupId(), "gid",
                e)) != 0) {
            throw new IOException("chown " + dir + ": " + Errno.describe(Native.lastErrno()));
        }
        if (Native.libc().fchmod(fd, e.getMode() & 07777) != 0) { // after chown, which clears setuid and setgid
            throw new IOException("chmod " + dir + ": " + Errno.describe(Native.lastErrno()));
        }
        Instant mtime = e.getLastModifiedTime().toInstant();
        long[] times = {0, UTIME_OMIT, mtime.getEpochSecond(), mtime.getNano()};
        if (Native.libc().futimens(fd, times) != 0) {
            throw new IOException("utimensat " + dir + ": " + Errno.describe(Native.lastErrno()));
        }
    }

    /** Copies an entry's data, counted against the limit: a sparse entry unpacks to more than its tar holds. */
    private void copy(InputStream in, OutputStream out, long[] written, TarArchiveEntry e) throws IOException {
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) > 0) {
            written[0] += n;
            if (written[0] > maxBytes) {
                throw tooBig("'" + e.getName() + "'");
            }
            out.write(buffer, 0, n);
        }
    }

    private LayerException tooBig(String where) {
        return new LayerException("the layer unpacks to more than " + maxBytes + " bytes (" + MAX_LAYER_BYTES
                + "); refused at " + where);
    }

    /**
     * The decompressed tar, failing once it exceeds the byte limit (a small compressed blob can unpack to any size),
     * or once the headers of one entry exceed theirs: the tar reader holds a GNU long name or a pax record in memory
     * whole, so a header claiming gigabytes would exhaust the heap long before the byte limit.
     */
    private final class Bounded extends FilterInputStream {
        private long count;
        private long headerBytesLeft = -1; // -1: not reading headers

        Bounded(InputStream in) {
            super(in);
        }

        void readingHeaders(boolean reading) {
            headerBytesLeft = reading ? MAX_HEADER_BYTES : -1;
        }

        private long counted(long n) {
            if (n > 0) {
                count += n;
                if (count > maxBytes) {
                    throw tooBig("byte " + maxBytes + " of its tar");
                }
                if (headerBytesLeft >= 0 && (headerBytesLeft -= n) < 0) {
                    throw new LayerException("an entry's headers (GNU long names, pax records) take more than "
                            + MAX_HEADER_BYTES + " bytes of the layer's tar; refused at byte " + count);
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            counted(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return (int) counted(super.read(b, off, len));
        }

        @Override
        public long skip(long n) throws IOException {
            return counted(super.skip(n));
        }
    }

    /**
     * The next entry, or null at the end. A tar that ends right after its last entry's data, without the padding and
     * end-of-archive blocks, is complete (umoci 0.4 writes such layers; the digest still covers every byte): a
     * truncation inside an entry's data fails while that data is read, never here.
     */
    private static TarArchiveEntry nextEntry(TarArchiveInputStream in, Bounded bounded) throws IOException {
        if (in.getCurrentEntry() != null) {
            in.transferTo(OutputStream.nullOutputStream()); // data left unread (a skipped entry's) is no header
        }
        bounded.readingHeaders(true);
        try {
            return in.getNextEntry();
        } catch (IOException e) {
            if ("Truncated TAR archive".equals(e.getMessage())) {
                return null;
            }
            throw e;
        } finally {
            bounded.readingHeaders(false);
        }
    }

    /**
     * The components of an entry name: "./" prefixes dropped; absolute names and ".." refused, except "/" alone, the
     * layer's root, which umoci writes.
     */
    static List<String> components(String name, String what) {
        if (name.startsWith("/") && !name.chars().allMatch(c -> c == '/')) {
            throw new LayerException(what + " '" + name + "' is an absolute path; a layer holds only relative names");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..") || part.indexOf('\0') >= 0) {
                throw new LayerException(what + " '" + name + "' contains '..'; it could leave the layer's directory");
            }
            parts.add(part);
        }
        return parts;
    }

    /**
     * The directory {@code root/names...}, every component checked with lstat to be a real directory (created when
     * missing and {@code create}); a symbolic link or a file on the way is refused, never followed.
     */
    private static Path parents(Path root, List<String> names, String entry, boolean create) throws IOException {
        Path dir = root;
        for (String part : names) {
            dir = dir.resolve(part);
            BasicFileAttributes attrs = lstat(dir);
            if (attrs == null && create) {
                Files.createDirectory(dir);
            } else if (attrs == null) {
                throw new LayerException("'" + entry + "': " + root.relativize(dir) + " does not exist in this layer");
            } else if (!attrs.isDirectory()) {
                throw new LayerException("'" + entry + "': " + root.relativize(dir) + " is "
                        + (attrs.isSymbolicLink() ? "a symbolic link" : "not a directory")
                        + "; refusing to write through it");
            }
        }
        return dir;
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Removes what is at {@code p} (a whole directory tree, never following a link), as tar does before it writes. */
    static void removeExisting(Path p) throws IOException {
        BasicFileAttributes attrs = lstat(p);
        if (attrs == null) {
            return;
        }
        if (attrs.isDirectory()) {
            makeWritable(p);
            try (DirectoryStream<Path> children = Files.newDirectoryStream(p)) {
                for (Path child : children) {
                    removeExisting(child);
                }
            }
        }
        Files.delete(p);
    }

    /** Owner write and search on a directory, so a tree extracted with read-only directories can be removed. */
    static void makeWritable(Path dir) throws IOException {
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0300) != 0300) {
            chmod(dir, (mode & 07777) | 0700);
        }
    }

    private void setAttributes(Path p, TarArchiveEntry e) throws IOException {
        if (asRoot) {
            lchown(p, e);
        }
        chmod(p, e.getMode() & 07777); // after chown, which clears setuid and setgid
        Files.setLastModifiedTime(p, FileTime.from(e.getLastModifiedTime().toInstant()));
    }

    /**
     * A uid or gid as the 32-bit uid_t/gid_t that chown takes: 0 to 2^32-2 ((uid_t) -1 means "leave unchanged"), never
     * silently truncated to another owner.
     */
    static int ownerId(long id, String what, TarArchiveEntry e) {
        if (id < 0 || id > 0xFFFF_FFFEL) {
            throw new LayerException("'" + e.getName() + "': " + what + " " + id + " is not a valid Linux " + what
                    + " (0 to 4294967294)");
        }
        return (int) id;
    }

    private static void lchown(Path p, TarArchiveEntry e) throws IOException {
        if (Native.libc().lchown(p.toString(), ownerId(e.getLongUserId(), "uid", e), ownerId(e.getLongGroupId(), "gid",
                e)) != 0) {
            throw new IOException("chown " + p + ": " + Errno.describe(Native.lastErrno()));
        }
    }

    private static void chmod(Path p, int mode) throws IOException {
        if (Native.libc().chmod(p.toString(), mode) != 0) {
            throw new IOException("chmod " + p + ": " + Errno.describe(Native.lastErrno()));
        }
    }

    private static void mknod(Path p, int type, long dev) throws IOException {
        if (Native.libc().mknod(p.toString(), type | 0600, dev) != 0) {
            throw new IOException("mknod " + p + ": " + Errno.describe(Native.lastErrno()));
        }
    }

    private static void setOpaque(Path dir) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.write("overlay.opaque", ByteBuffer.wrap(new byte[] {'y'}));
    }

    /** glibc's makedev. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
