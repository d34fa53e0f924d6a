package dev.sandboxed.core.internal.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The /etc/hosts of a network's members: one file, bound read-only into every member, changed only in place (the
 * binds hold its inode, and nss_files reads it again on each lookup). A member's line is appended with one
 * O_APPEND write before the member starts; when it leaves, the line's first byte becomes '#'. The file never shrinks,
 * so a reader never sees it torn, and since addresses are never reused a stale line cannot name a newcomer.
 */
public final class HostsFile implements AutoCloseable {
    /**
     * The file is shared by all members, so it names the exposed-host-port address for all of them (see
     * EtcFiles.HOST_INTERNAL); in a member that exposes no port nothing listens there and a connection is refused.
     */
    static final String HEADER = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            + "127.0.0.2\thost.sandboxed.internal\n";

    private final Path path;
    private final FileChannel channel;
    private long size;

    private HostsFile(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** A new hosts file {@code hosts} in {@code dir}, readable by every user (members may run as any uid). */
    public static HostsFile create(Path dir) {
        Path path = dir.resolve("hosts");
        try {
            Files.writeString(path, HEADER, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
            FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE);
            return new HostsFile(path, channel, channel.size());
        } catch (IOException e) {
            throw new UncheckedIOException("write the hosts file of a network in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** The line {@code address name...}: one write at the end; returns where it starts, for {@link #remove}. */
    public synchronized long add(String address, List<String> names) {
        byte[] line = (address + "\t" + String.join(" ", names) + "\n").getBytes(StandardCharsets.US_ASCII);
        long at = size;
        try {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer, at + buffer.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("add " + address + " to " + path + ": " + e.getMessage(), e);
        }
        size += line.length;
        return at;
    }

    /** Comments out the line that starts at {@code offset}: a one-byte write in place. */
    public synchronized void remove(long offset) {
        if (!channel.isOpen()) {
            return;
        }
        try {
            channel.write(ByteBuffer.wrap(new byte[] {'#'}), offset);
        } catch (IOException e) {
            throw new UncheckedIOException("remove the line at " + offset + " of " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing written is lost: every write went to the file directly
        }
    }
}
