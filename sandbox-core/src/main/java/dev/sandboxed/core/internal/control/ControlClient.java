package dev.sandboxed.core.internal.control;

import java.util.Map;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.UnixSockets;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.result.SandboxException;

/** One connection to the operations socket of the JVM that owns a sandbox; one request (and its reply) each. */
public final class ControlClient implements AutoCloseable {
    private final ControlSocket socket;
    private final long ownerPid;

    private ControlClient(ControlSocket socket, long ownerPid) {
        this.socket = socket;
        this.ownerPid = ownerPid;
    }

    /**
     * Connects to the operations socket of JVM {@code ownerPid} (the owner its sandboxes' state entries name), and
     * checks that what answers is that JVM of this user: an abstract name can be taken by anyone, and exec hands over
     * the descriptors of the caller's relay.
     *
     * @throws SandboxException with ECONNREFUSED when that JVM is gone, or when someone else holds its name
     */
    public static ControlClient connect(long ownerPid) {
        return new ControlClient(open(ownerPid, "JVM " + ownerPid), ownerPid);
    }

    /** {@link #connect}'s socket: to process {@code ownerPid} (a JVM, or a kept sandbox's keeper), checked. */
    static ControlSocket open(long ownerPid, String owner) {
        int fd = UnixSockets.connect(ControlServer.socketName(OwnIds.uid(), ownerPid), owner);
        ControlSocket socket = new ControlSocket(fd, owner);
        UnixSockets.Peer peer;
        try {
            peer = UnixSockets.peer(fd);
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
        if (peer.pid() != ownerPid || peer.uid() != OwnIds.uid()) {
            socket.close();
            throw new SandboxException("the operations socket of " + owner + " is held by process " + peer.pid()
                    + " of uid " + peer.uid() + ", not by that process of this user; refusing to talk to it", 0);
        }
        return socket;
    }

    /** Sends a request, with descriptors ({@code exec}: the stdin, stdout and stderr its process gets). */
    public void send(Map<String, Object> request, int... fds) {
        try {
            socket.send(ControlJson.encode(Protocol.K_CONTROL_REQUEST, request), fds);
        } catch (SandboxException e) {
            // A JVM that refuses this caller says why and hangs up without reading: the reason is queued here.
            ControlSocket.Received r = socket.receive();
            if (r != null) {
                for (int fd : r.fds()) {
                    Native.close(fd);
                }
                if (ControlJson.decode(r.message()).get("error") instanceof String error) {
                    throw new SandboxException(error, 0);
                }
            }
            throw new SandboxException("send the request to JVM " + ownerPid, e);
        }
    }

    /**
     * The reply to the request sent; a reply with {@code error} becomes a SandboxException with that message.
     *
     * @throws SandboxException also when the JVM hung up without one
     */
    public Map<String, Object> receive() {
        ControlSocket.Received r = socket.receive();
        if (r == null) {
            throw new SandboxException("JVM " + ownerPid + " hung up without an answer", 0);
        }
        for (int fd : r.fds()) {
            Native.close(fd);
        }
        Map<String, Object> reply = ControlJson.decode(r.message());
        if (reply.get("error") instanceof String error) {
            throw new SandboxException(error, 0);
        }
        return reply;
    }

    /** {@link #send} then {@link #receive}. */
    public Map<String, Object> call(Map<String, Object> request, int... fds) {
        send(request, fds);
        return receive();
    }

    @Override
    public void close() {
        socket.close();
    }
}
