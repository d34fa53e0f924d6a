package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A cgroup2 hierarchy in a temporary directory that behaves like the kernel for what this package relies on:
 * interface files appear on mkdir according to the parent's cgroup.subtree_control (formats from
 * Documentation/admin-guide/cgroup-v2.rst), enabling controllers fails with EBUSY in a populated non-root
 * cgroup and with ENOENT for controllers the cgroup does not have, rmdir fails with EBUSY while the cgroup has
 * processes or children, cgroup.kill empties a subtree, writes need the owner uid (delegation) unless uid 0.
 */
public class FakeCgroup2Kernel implements CgroupFs {
    static final String ALL_CONTROLLERS = "cpuset cpu io memory hugetlb pids rdma misc";

    final Path mount;
    private final int uid;
    private boolean swapAccounting = true;
    private boolean peakFiles = true;
    private boolean killFile = true;
    final List<Long> signalled = new ArrayList<>();
    public final List<String> writes = new ArrayList<>();
    private final Map<String, String> failWrites = new LinkedHashMap<>();

    @SuppressWarnings("this-escape") // the root files are written before any subclass (a test tweak) runs, as intended
    public FakeCgroup2Kernel(Path mount, int uid) {
        this.mount = mount;
        this.uid = uid;
        try {
            Files.createDirectories(mount);
            set(mount.resolve("cgroup.controllers"), ALL_CONTROLLERS);
            set(mount.resolve("cgroup.subtree_control"), "cpuset cpu io memory pids");
            set(mount.resolve("cgroup.procs"), "");
            set(mount.resolve("cgroup.threads"), "");
            set(mount.resolve("cgroup.max.depth"), "max");
            set(mount.resolve("cgroup.stat"), "nr_descendants 0\nnr_dying_descendants 0\n");
            set(mount.resolve("cpu.stat"), "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
            set(mount.resolve("memory.stat"), "anon 0\nfile 0\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kernel without swap accounting (no memory.swap.* files). */
    FakeCgroup2Kernel withoutSwapAccounting() {
        swapAccounting = false;
        return this;
    }

    /** Kernel older than 5.19 / 6.1: no memory.peak and pids.peak. */
    FakeCgroup2Kernel withoutPeakFiles() {
        peakFiles = false;
        return this;
    }

    /** Kernel older than 5.14: no cgroup.kill. */
    FakeCgroup2Kernel withoutCgroupKill() {
        killFile = false;
        return this;
    }

    /** The next write to a file with this name fails with the given reason (e.g. "Invalid argument"). */
    FakeCgroup2Kernel failWritesTo(String fileName, String reason) {
        failWrites.put(fileName, reason);
        return this;
    }

    /** Creates a cgroup as root would (systemd), owned by {@code owner}; delegation chowns the dir and files. */
    Path cgroup(String relative, int owner, long... pids) throws IOException {
        Path dir = mount;
        for (String part : relative.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            dir = dir.resolve(part);
            if (!Files.isDirectory(dir)) {
                createCgroup(dir, 0);
            }
        }
        chown(dir, owner);
        for (String f : List.of("cgroup.procs", "cgroup.subtree_control", "cgroup.threads")) {
            chown(dir.resolve(f), owner);
        }
        StringBuilder sb = new StringBuilder();
        for (long p : pids) {
            sb.append(p).append('\n');
        }
        set(dir.resolve("cgroup.procs"), sb.toString());
        return dir;
    }

    /**
     * Builds a systemd-like chain: every level below the mount is created, levels above the last get
     * {@code controllers} enabled in cgroup.subtree_control (what systemd does for delegated units), and the last
     * level is delegated to {@code owner} and holds {@code pids}.
     */
    public Path chain(String relative, String controllers, int owner, long... pids) throws IOException {
        String[] parts = relative.replaceFirst("^/+", "").split("/");
        Path dir = mount;
        set(mount.resolve("cgroup.subtree_control"), controllers);
        for (int i = 0; i < parts.length; i++) {
            dir = dir.resolve(parts[i]);
            if (!Files.isDirectory(dir)) {
                createCgroup(dir, 0);
            }
            if (i < parts.length - 1) {
                set(dir.resolve("cgroup.subtree_control"), controllers);
            }
        }
        return cgroup(relative, owner, pids);
    }

    /** Sets a file's content like the kernel would (counters), bypassing permissions. */
    void set(Path file, String content) throws IOException {
        Files.writeString(file, content);
    }

    String mountinfo() {
        return "24 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
                + "30 24 0:26 / " + mount + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2"
                + " rw,nsdelegate,memory_recursiveprot\n";
    }

    /** A CgroupConfig reading this tree, with {@code ownCgroup} as /proc/self/cgroup's "0::" path. */
    public CgroupConfig.Builder config(Path tmp, String ownCgroup) throws IOException {
        String base = mount.getFileName() + "-proc-self-";
        Path mi = Files.writeString(tmp.resolve(base + "mountinfo"), mountinfo());
        Path pc = Files.writeString(tmp.resolve(base + "cgroup"), "0::" + ownCgroup + "\n");
        return CgroupConfig.builder().mountinfo(mi).procCgroup(pc).fs(this)
                .removeTimeout(Duration.ofSeconds(2));
    }

    // ---- CgroupFs ----

    @Override
    public String read(Path file) throws IOException {
        return Files.readString(file);
    }

    @Override
    public synchronized void write(Path file, String value) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!canWrite(file)) {
            throw new AccessDeniedException(file.toString(), null, "Permission denied");
        }
        String name = file.getFileName().toString();
        String reason = failWrites.remove(name);
        if (reason != null) {
            throw new FileSystemException(file.toString(), null, reason);
        }
        writes.add(mount.relativize(file) + "=" + value);
        Path dir = file.getParent();
        switch (name) {
            case "cgroup.subtree_control" -> subtreeControl(dir, value);
            case "cgroup.procs" -> attach(dir, Long.parseLong(value.strip()));
            case "cgroup.kill" -> {
                for (Path d : subtree(dir)) {
                    set(d.resolve("cgroup.procs"), "");
                }
            }
            case "io.max" -> set(file, ioMax(read(file), value, file));
            case "memory.max", "memory.high", "memory.swap.max", "pids.max" -> {
                if (!value.strip().matches("max|\\d+")) {
                    throw new FileSystemException(file.toString(), null, "Invalid argument");
                }
                set(file, value);
            }
            default -> set(file, value);
        }
    }

    /**
     * io.max as the kernel keeps it (Documentation/admin-guide/cgroup-v2.rst, "IO Interface Files"): a write
     * names one device and some of rbps, wbps, riops, wiops; reading shows one line per limited device with
     * all four keys, "max" where unlimited, and a device whose keys are all "max" drops out.
     */
    private static String ioMax(String current, String write, Path file) throws IOException {
        Map<String, Map<String, String>> devices = new LinkedHashMap<>();
        for (String line : current.split("\n")) {
            if (!line.isBlank()) {
                String[] parts = line.trim().split("\\s+");
                Map<String, String> keys = new LinkedHashMap<>();
                for (int i = 1; i < parts.length; i++) {
                    String[] kv = parts[i].split("=");
                    keys.put(kv[0], kv[1]);
                }
                devices.put(parts[0], keys);
            }
        }
        String[] parts = write.trim().split("\\s+");
        if (parts.length < 2 || !parts[0].matches("\\d+:\\d+")) {
            throw new FileSystemException(file.toString(), null, "Invalid argument");
        }
        Map<String, String> keys = devices.computeIfAbsent(parts[0], d -> new LinkedHashMap<>(
                Map.of("rbps", "max", "wbps", "max", "riops", "max", "wiops", "max")));
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2 || !Set.of("rbps", "wbps", "riops", "wiops").contains(kv[0]) || !kv[1].matches("max|\\d+")) {
                throw new FileSystemException(file.toString(), null, "Invalid argument");
            }
            keys.put(kv[0], kv[1]);
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Map<String, String>> d : devices.entrySet()) {
            Map<String, String> k = d.getValue();
            if (k.values().stream().allMatch("max"::equals)) {
                continue;
            }
            out.append(d.getKey()).append(" rbps=").append(k.get("rbps")).append(" wbps=").append(k.get("wbps"))
                    .append(" riops=").append(k.get("riops")).append(" wiops=").append(k.get("wiops")).append('\n');
        }
        return out.toString();
    }

    private void subtreeControl(Path dir, String value) throws IOException {
        Set<String> offered = Controllers.parseList(read(dir.resolve("cgroup.controllers")));
        Set<String> enabled = new TreeSet<>(Controllers.parseList(read(dir.resolve("cgroup.subtree_control"))));
        for (String tok : value.strip().split("\\s+")) {
            String c = tok.substring(1);
            if (!offered.contains(c)) {
                throw new FileSystemException(dir.resolve("cgroup.subtree_control").toString(), null,
                        "No such file or directory");
            }
            if (tok.startsWith("+")) {
                enabled.add(c);
            } else {
                enabled.remove(c);
            }
        }
        if (!dir.equals(mount) && !pids(dir).isEmpty() && !enabled.isEmpty()) {
            throw new FileSystemException(dir.resolve("cgroup.subtree_control").toString(), null,
                    "Device or resource busy");
        }
        set(dir.resolve("cgroup.subtree_control"), String.join(" ", enabled));
    }

    private void attach(Path dir, long pid) throws IOException {
        if (!dir.equals(mount) && !Controllers.parseList(read(dir.resolve("cgroup.subtree_control"))).isEmpty()) {
            throw new FileSystemException(dir.resolve("cgroup.procs").toString(), null, "Device or resource busy");
        }
        for (Path d : subtree(mount)) {
            List<Long> ps = pids(d);
            if (ps.remove(pid)) {
                setPids(d, ps);
            }
        }
        List<Long> ps = pids(dir);
        ps.add(pid);
        setPids(dir, ps);
    }

    List<Long> pids(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        for (String l : read(dir.resolve("cgroup.procs")).split("\n")) {
            if (!l.isBlank()) {
                out.add(Long.parseLong(l.strip()));
            }
        }
        return out;
    }

    private void setPids(Path dir, List<Long> pids) throws IOException {
        StringBuilder sb = new StringBuilder();
        pids.forEach(p -> sb.append(p).append('\n'));
        set(dir.resolve("cgroup.procs"), sb.toString());
    }

    @Override
    public synchronized void mkdir(Path dir) throws IOException {
        if (Files.exists(dir)) {
            throw new FileSystemException(dir.toString(), null, "File exists");
        }
        if (!Files.isDirectory(dir.getParent())) {
            throw new NoSuchFileException(dir.toString());
        }
        if (!canWrite(dir.getParent())) {
            throw new AccessDeniedException(dir.toString(), null, "Permission denied");
        }
        createCgroup(dir, uid);
    }

    private void createCgroup(Path dir, int owner) throws IOException {
        Files.createDirectory(dir);
        Set<String> ctl = Controllers.parseList(read(dir.getParent().resolve("cgroup.subtree_control")));
        Map<String, String> f = new LinkedHashMap<>();
        f.put("cgroup.procs", "");
        f.put("cgroup.threads", "");
        f.put("cgroup.controllers", String.join(" ", ctl));
        f.put("cgroup.subtree_control", "");
        f.put("cgroup.events", "populated 0\nfrozen 0\n");
        f.put("cgroup.type", "domain\n");
        f.put("cgroup.freeze", "0\n");
        if (killFile) {
            f.put("cgroup.kill", "");
        }
        f.put("cgroup.max.depth", "max\n");
        f.put("cgroup.max.descendants", "max\n");
        f.put("cgroup.stat", "nr_descendants 0\nnr_dying_descendants 0\n");
        f.put("cpu.stat", ctl.contains("cpu")
                ? "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"
                        + "nr_bursts 0\nburst_usec 0\n"
                : "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        if (ctl.contains("memory")) {
            f.put("memory.current", "0\n");
            f.put("memory.min", "0\n");
            f.put("memory.low", "0\n");
            f.put("memory.high", "max\n");
            f.put("memory.max", "max\n");
            if (peakFiles) {
                f.put("memory.peak", "0\n");
            }
            f.put("memory.oom.group", "0\n");
            f.put("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
            f.put("memory.events.local", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
            f.put("memory.stat", "anon 0\nfile 0\nkernel 0\nkernel_stack 0\npagetables 0\nsock 0\nshmem 0\n");
            if (swapAccounting) {
                f.put("memory.swap.current", "0\n");
                f.put("memory.swap.high", "max\n");
                f.put("memory.swap.max", "max\n");
                f.put("memory.swap.events", "high 0\nmax 0\nfail 0\n");
            }
        }
        if (ctl.contains("cpu")) {
            f.put("cpu.max", "max 100000\n");
            f.put("cpu.max.burst", "0\n");
            f.put("cpu.weight", "100\n");
            f.put("cpu.weight.nice", "0\n");
        }
        if (ctl.contains("cpuset")) {
            f.put("cpuset.cpus", "\n");
            f.put("cpuset.mems", "\n");
            f.put("cpuset.cpus.effective", "0-3\n");
            f.put("cpuset.mems.effective", "0\n");
        }
        if (ctl.contains("io")) {
            f.put("io.weight", "default 100\n");
            f.put("io.max", "");
            f.put("io.stat", "");
        }
        if (ctl.contains("pids")) {
            f.put("pids.max", "max\n");
            f.put("pids.current", "0\n");
            if (peakFiles) {
                f.put("pids.peak", "0\n");
            }
            f.put("pids.events", "max 0\n");
        }
        for (Map.Entry<String, String> e : f.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.writeString(file, e.getValue());
            chown(file, owner);
        }
        chown(dir, owner);
    }

    @Override
    public synchronized void rmdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        if (!canWrite(dir.getParent())) {
            throw new AccessDeniedException(dir.toString(), null, "Permission denied");
        }
        if (!pids(dir).isEmpty() || !childDirectories(dir).isEmpty()) {
            throw new FileSystemException(dir.toString(), null, "Device or resource busy");
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public boolean isDirectory(Path path) {
        return Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public boolean canWrite(Path path) {
        if (uid == 0) {
            return true;
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
            return (ownerUid(path) == uid && perms.contains(PosixFilePermission.OWNER_WRITE))
                    || perms.contains(PosixFilePermission.OTHERS_WRITE);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<Path> childDirectories(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    @Override
    public int ownerUid(Path path) {
        Integer owner = OWNERS.get(path.toAbsolutePath().normalize());
        if (owner != null) {
            return owner;
        }
        try {
            return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public int uid() {
        return uid;
    }

    @Override
    public synchronized void kill(long pid) {
        signalled.add(pid);
        try {
            for (Path d : subtree(mount)) {
                List<Long> ps = pids(d);
                if (ps.remove(pid)) {
                    setPids(d, ps);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All cgroups at and below {@code dir}, deepest first. */
    List<Path> subtree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed())
                    .toList();
        }
    }

    /** Every cgroup directory below the mount, relative, for leftover checks. */
    Set<String> allCgroups() throws IOException {
        Set<String> out = new HashSet<>();
        for (Path p : subtree(mount)) {
            if (!p.equals(mount)) {
                out.add(mount.relativize(p).toString());
            }
        }
        return out;
    }

    /**
     * Ownership as the fake kernel sees it. Kept in a table rather than set with chown(2), which only root may
     * do: the suite also runs as an unprivileged user.
     */
    private static final Map<Path, Integer> OWNERS = new ConcurrentHashMap<>();

    static void chown(Path p, int owner) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(p.toString());
        }
        OWNERS.put(p.toAbsolutePath().normalize(), owner);
    }

    static List<String> lines(String s) {
        return Arrays.asList(s.split("\n"));
    }
}
