package dev.sandboxed.core.internal.runtime;

import static dev.sandboxed.core.internal.protocol.Protocol.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.image.FileNames;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.rootfs.MountOp;
import dev.sandboxed.core.internal.rootfs.MountPlan;
import dev.sandboxed.core.internal.seccomp.InitCalls;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.SandboxSpec;

/** The K_CREATE message: the complete set-up description of one sandbox that sandbox-init carries out. */
public final class CreateMessage {
    private CreateMessage() {
    }

    /** A sandbox with namespaces of its own. */
    public static Message of(SandboxSpec spec, IdMapPlan ids, MountPlan mounts, SandboxCgroup cgroup) {
        return build(spec, ids, mounts, cgroup, false);
    }

    /** A sandbox whose user and network namespaces are another sandbox's, passed as descriptors with the message. */
    public static Message joiningNetwork(SandboxSpec spec, IdMapPlan ids, MountPlan mounts, SandboxCgroup cgroup) {
        return build(spec, ids, mounts, cgroup, true);
    }

    /**
     * Adds how an image root is assembled: the mode unless it is the kernel's overlayfs without a fallback, and the writable layer's
     * tmpfs limit or {@code diskLayer}, the directory made for it. Both paths go in the bytes the JVM names files
     * with, as the owner records sandbox-init applies in that layer do (see {@link FileNames}).
     */
    public static void imageRoot(Message create, MountPlan mounts, Optional<Path> diskLayer) {
        if (mounts.imageRoot().isEmpty()) {
            return;
        }
        MountPlan.ImageRoot root = mounts.imageRoot().get();
        int mode = switch (root.choice().mode()) {
            case OVERLAY -> ROOT_MODE_OVERLAY;
            case FUSE_OVERLAYFS -> ROOT_MODE_FUSE;
            case COPY -> ROOT_MODE_COPY;
        };
        if (mode != ROOT_MODE_OVERLAY || root.choice().fallback()) {
            byte[] helper = FileNames.bytes(root.choice().helper().map(Path::toString).orElse(""));
            int flags = (root.linkFiles() ? ROOT_FLAG_LINK : 0) | (root.choice().fallback() ? ROOT_FLAG_FALLBACK : 0);
            create.put(F_ROOT_MODE, ByteBuffer.allocate(ROOT_MODE_HELPER + helper.length + 1).order(ByteOrder.nativeOrder())
                    .putInt(ROOT_MODE_MODE, mode).putInt(ROOT_MODE_FLAGS, flags).put(ROOT_MODE_HELPER, helper).array());
        }
        byte[] dir = FileNames.bytes(diskLayer.map(Path::toString).orElse(""));
        create.put(F_ROOT_UPPER, ByteBuffer.allocate(ROOT_UPPER_DIR + dir.length + 1).order(ByteOrder.nativeOrder())
                .putLong(ROOT_UPPER_SIZE, diskLayer.isPresent() ? 0 : root.tmpfsSize()).put(ROOT_UPPER_DIR, dir).array());
    }

    /**
     * Adds what joining network {@code network} takes: its id (the server plugs the sandbox's veth into it) and the
     * address the init gives eth0.
     */
    public static void onNetwork(Message create, int network, String address, int prefix) {
        create.putU32(F_NETWORK, network).put(F_NET_ADDRESS, netAddress(address, prefix));
    }

    /**
     * Adds the sandbox's seccomp filter for the init to load into itself once it is ready, so its processes inherit
     * it instead of each loading it; only a filter that allows what the init does from then on ({@link InitCalls}).
     */
    public static void filterForInit(Message create, SeccompFilter filter) {
        if (!InitCalls.allowedBy(filter)) {
            return;
        }
        create.put(F_SECCOMP, filter.bytes());
        int notifyErrno = ExecProfile.deniedErrno(filter);
        if (notifyErrno >= 0) {
            create.putU32(F_SECCOMP_NOTIFY, notifyErrno);
        }
    }

    /** F_NET_ADDRESS: the dotted IPv4 {@code address} and the {@code prefix} length. */
    static byte[] netAddress(String address, int prefix) {
        byte[] value = new byte[NET_ADDRESS_LEN];
        String[] octets = address.split("\\.");
        for (int i = 0; i < 4; i++) {
            value[NET_ADDRESS_ADDR + i] = (byte) Integer.parseInt(octets[i]);
        }
        value[NET_ADDRESS_PREFIX] = (byte) prefix;
        return value;
    }

    private static Message build(SandboxSpec spec, IdMapPlan ids, MountPlan mounts, SandboxCgroup cgroup, boolean join) {
        long flags = 0;
        if (spec.has(Namespace.USER)) flags |= CLONE_NEWUSER;
        if (spec.has(Namespace.MOUNT)) flags |= CLONE_NEWNS;
        if (spec.has(Namespace.PID)) flags |= CLONE_NEWPID;
        if (spec.has(Namespace.NET)) flags |= CLONE_NEWNET;
        if (spec.has(Namespace.IPC)) flags |= CLONE_NEWIPC;
        if (spec.has(Namespace.UTS)) flags |= CLONE_NEWUTS;
        Message m = Message.of(K_CREATE).putU64(F_CLONE_FLAGS, flags);
        if (join) {
            m.putU32(F_JOIN, 1);
        } else if (spec.has(Namespace.USER)) {
            ids.setgroups().ifPresent(v -> m.putString(F_SETGROUPS, v));
            if (!ids.uidMapCommand().isEmpty()) {
                m.put(F_UID_MAP_CMD, Message.nulSeparated(ids.uidMapCommand()));
                m.put(F_GID_MAP_CMD, Message.nulSeparated(ids.gidMapCommand()));
            } else {
                m.putString(F_UID_MAP, ids.uidMap());
                m.putString(F_GID_MAP, ids.gidMap());
            }
        }
        for (Path procs : cgroup.procsFiles()) {
            m.putString(F_CGROUP_PROCS, procs.toString());
        }
        cgroup.cloneIntoDirectory().ifPresent(dir -> m.putString(F_CGROUP_DIR, dir.toString()));
        if (spec.has(Namespace.CGROUP)) m.putU32(F_CGROUP_NS, 1);
        if (spec.has(Namespace.UTS)) m.putString(F_HOSTNAME, spec.hostname());
        if (spec.has(Namespace.NET) && !join) m.putU32(F_LOOPBACK_UP, 1);
        for (HostPort port : spec.exposedHostPorts()) {
            m.putU32(port.transport() == PortMapping.Transport.UDP ? F_EXPOSE_UDP_PORT : F_EXPOSE_PORT, port.port());
        }
        if (!spec.has(Namespace.MOUNT)) {
            m.putU32(F_NO_PIVOT, 1);
        } else {
            mounts.rootBind().ifPresent(dir -> m.putString(F_ROOT_BIND, dir));
            if (!mounts.rootLayers().isEmpty()) {
                m.put(F_ROOT_OVERLAY, Message.nulSeparated(mounts.rootLayers()));
            }
            for (MountOp op : mounts.ops()) {
                m.put(F_MOUNT_OP, op.encode());
            }
        }
        return m;
    }
}
