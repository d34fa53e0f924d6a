package dev.sandboxed.core.internal.os;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Which file a path names now, as a value that differs for a file deleted and made again at the same path. Device
 * and inode number do not: ext4 hands a freed inode number to the next file made in the directory, often at once.
 * The kernel's file handle (name_to_handle_at(2)) carries the inode's generation too, as NFS relies on; where the
 * file system gives none, device and inode are all there is.
 */
public final class NodeIdentity {
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_FOLLOW = 0x400;
    private static final int MAX_HANDLE_SZ = 128;
    /** struct file_handle: handle_bytes, handle_type, then the handle. */
    private static final int HANDLE_HEADER = 8;

    /** The handle of a file: its file system's type of handle and the handle's bytes, with the device. */
    record Handle(Object device, int type, String bytes) {
    }

    private NodeIdentity() {
    }

    /** The identity of what {@code path} names, following links as a bind mount does; empty when nothing is there. */
    public static Optional<Object> of(Path path) {
        Object fileKey;
        try {
            fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(handle(path, fileKey).orElse(fileKey));
    }

    private static Optional<Object> handle(Path path, Object device) {
        ByteBuffer handle = Native.allocate(HANDLE_HEADER + MAX_HANDLE_SZ);
        handle.putInt(0, MAX_HANDLE_SZ);
        ByteBuffer mountId = Native.allocate(Integer.BYTES);
        if (Native.libc().name_to_handle_at(AT_FDCWD, path.toAbsolutePath().toString(), handle, mountId,
                AT_SYMLINK_FOLLOW) < 0) {
            return Optional.empty(); // EOPNOTSUPP: a file system without handles
        }
        int length = Math.min(handle.getInt(0), MAX_HANDLE_SZ);
        byte[] bytes = new byte[length];
        handle.get(HANDLE_HEADER, bytes);
        // The handle is unique within its file system only; the file key names the device (and the inode again).
        return Optional.of(new Handle(device, handle.getInt(4), HexFormat.of().formatHex(bytes)));
    }
}
