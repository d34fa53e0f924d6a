package dev.sandboxed.core.internal.rootfs;

import static dev.sandboxed.core.internal.protocol.Protocol.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import dev.sandboxed.core.internal.protocol.Message;

/**
 * One step of assembling the sandbox's root, executed in order by sandbox-init. Targets are paths inside
 * the new root; sandbox-init resolves them so they can never leave it.
 */
public record MountOp(int op, int flags, long mountFlags, String source, String target, String fstype, String data) {

    public static MountOp mount(String fstype, String target, long mountFlags, String data) {
        return new MountOp(OP_MOUNT, OPF_CREATE_DIR, mountFlags, fstype, target, fstype, data);
    }

    public static MountOp bind(String hostSource, String target, int flags) {
        return new MountOp(OP_BIND, flags, 0, hostSource, target, "", "");
    }

    /**
     * A host device node bound at {@code target}: sandbox-init opens it without following a link and checks it is
     * a device of {@code type} ({@code c} or {@code b}) with {@code major:minor} before binding it.
     */
    public static MountOp device(String hostNode, String target, char type, int major, int minor) {
        return new MountOp(OP_BIND, OPF_DEVICE | OPF_NOSUID | OPF_NOEXEC, 0, hostNode, target, "",
                type + " " + major + ":" + minor);
    }

    public static MountOp mkdir(String target) {
        return new MountOp(OP_MKDIR, 0, 0, "", target, "", "");
    }

    public static MountOp symlink(String linkText, String target) {
        return new MountOp(OP_SYMLINK, 0, 0, linkText, target, "", "");
    }

    public static MountOp readOnly(String target) {
        return new MountOp(OP_READONLY, 0, 0, "", target, "", "");
    }

    public static MountOp mask(String target) {
        return new MountOp(OP_MASK, 0, 0, "", target, "", "");
    }

    public static MountOp rootReadOnly() {
        return new MountOp(OP_ROOT_READONLY, 0, 0, "", "/", "", "");
    }

    /** The wire form: struct mount_op followed by four NUL-terminated strings. */
    public byte[] encode() {
        byte[] strings = Message.nulSeparated(List.of(source, target, fstype, data));
        return ByteBuffer.allocate(MOUNT_OP_STRINGS + strings.length).order(ByteOrder.nativeOrder())
                .putInt(MOUNT_OP_OP, op).putInt(MOUNT_OP_FLAGS, flags).putLong(MOUNT_OP_MOUNTFLAGS, mountFlags)
                .put(MOUNT_OP_STRINGS, strings).array();
    }

    @Override
    public String toString() {
        return switch (op) {
            case OP_MOUNT -> "mount " + fstype + " on " + target + (data.isEmpty() ? "" : " (" + data + ")");
            case OP_BIND -> (flags & OPF_DEVICE) != 0 ? "device " + source + " (" + data + ") on " + target
                    : "bind " + source + " on " + target + ((flags & OPF_RDONLY) != 0 ? " (ro)" : " (rw)");
            case OP_MKDIR -> "mkdir " + target;
            case OP_SYMLINK -> "symlink " + target + " -> " + source;
            case OP_READONLY -> "read-only " + target;
            case OP_MASK -> "mask " + target;
            case OP_ROOT_READONLY -> "read-only root";
            default -> "op " + op + " " + target;
        };
    }
}
