package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** {@link CgroupFs} on the real host. */
final class SystemCgroupFs implements CgroupFs {
    static final SystemCgroupFs INSTANCE = new SystemCgroupFs();

    private SystemCgroupFs() {
    }

    /** Cgroup files report size 0, so Files.readString starts small and grows a new array per read. */
    private static final int READ_BUFFER = 8192;
    private static final ThreadLocal<ByteBuffer> BUFFERS = ThreadLocal.withInitial(() -> ByteBuffer.allocate(READ_BUFFER));

    @Override
    public String read(Path file) throws IOException {
        ByteBuffer buf = BUFFERS.get();
        buf.clear();
        // O_NOFOLLOW: cgroupfs holds no links, so one there is not a cgroup file (a state entry names directories).
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (ch.read(buf) >= 0) {
                if (!buf.hasRemaining()) { // a long cgroup.procs: grow for this read only
                    ByteBuffer bigger = ByteBuffer.allocate(buf.capacity() * 2);
                    buf.flip();
                    buf = bigger.put(buf);
                }
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    @Override
    public void write(Path file, String value) throws IOException {
        // One write(2): cgroupfs parses each write separately, and never O_CREAT (a missing file means the
        // controller is not enabled there, which must surface as an error rather than a stray regular file).
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8));
            int n = ch.write(buf);
            if (buf.hasRemaining()) {
                throw new IOException("short write (" + n + " of " + buf.limit() + " bytes)");
            }
        }
    }

    @Override
    public void mkdir(Path dir) throws IOException {
        Files.createDirectory(dir);
    }

    @Override
    public void rmdir(Path dir) throws IOException {
        Files.delete(dir); // rmdir(2) for a directory
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
        return Files.isWritable(path); // access(2): honours uid, groups, root and read-only mounts
    }

    @Override
    public List<Path> childDirectories(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(out::add);
        }
        return out;
    }

    @Override
    public int ownerUid(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    @Override
    public int uid() {
        // The directory /proc/self points to is owned by the effective uid of the reading process (the link
        // itself belongs to root, so it must be followed).
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self/"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    @Override
    public void kill(long pid) {
        if (pid == ProcessHandle.current().pid()) {
            throw new CgroupException("refusing to SIGKILL this JVM (pid " + pid + ") found in a sandbox cgroup");
        }
        // destroyForcibly is kill(pid, SIGKILL) on Linux, for any process we are permitted to signal.
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
}
