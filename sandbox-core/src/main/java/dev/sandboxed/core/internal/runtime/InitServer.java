package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.result.SandboxException;

/**
 * The JVM's one sandbox-init server: a single-threaded process that clones sandboxes on request.
 * It watches its socket, so when this JVM dies (even by kill -9) the server and every sandbox die too.
 */
public final class InitServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InitServer.class.getName());

    private final int pid;
    private final ControlSocket socket;

    private InitServer(int pid, ControlSocket socket) {
        this.pid = pid;
        this.socket = socket;
    }

    public static InitServer start() {
        Path binary = InitBinary.locate();
        int[] pair = Native.seqpacketPair("the sandbox-init server");
        int pid;
        try {
            pid = Native.spawn(binary.toString(), List.of("sandbox-init", "server"), List.of(), pair[1]);
        } catch (RuntimeException e) {
            Native.close(pair[0]);
            throw e;
        } finally {
            Native.close(pair[1]);
        }
        ControlSocket socket = new ControlSocket(pair[0], "the sandbox-init server");
        ControlSocket.Received hello = socket.receive();
        if (hello == null || hello.message().kind() != Protocol.K_HELLO) {
            socket.close();
            Native.reap(pid, true);
            throw new SandboxException("start sandbox-init server (" + binary + "): it exited before saying hello; see its message on stderr", 0);
        }
        int version = hello.message().u32(Protocol.F_VERSION, 0);
        if (version != Protocol.PROTOCOL_VERSION) {
            socket.close();
            Native.reap(pid, true);
            throw new SandboxException("start sandbox-init server: protocol " + version + ", expected " + Protocol.PROTOCOL_VERSION, 0);
        }
        LOG.log(Level.DEBUG, "sandbox-init server {0} started from {1}", pid, binary);
        return new InitServer(pid, socket);
    }

    int pid() {
        return pid;
    }

    /**
     * Asks the server to clone a sandbox init and hands it {@code fds} (its socket, then the namespaces it
     * joins, if any); returns the init's
     * host pid. One request at a time: the server is single-threaded anyway.
     */
    public synchronized int create(Message request, int... fds) {
        socket.send(request, fds);
        ControlSocket.Received reply = socket.receive();
        if (reply == null) {
            throw new SandboxException("create sandbox: the sandbox-init server exited", 0);
        }
        for (int fd : reply.fds()) {
            Native.close(fd);
        }
        Message m = reply.message();
        if (m.kind() == Protocol.K_CREATED) {
            return m.u32(Protocol.F_PID, -1);
        }
        throw new SandboxException(m.string(Protocol.F_STEP, "create sandbox"), m.u32(Protocol.F_ERRNO, 0));
    }

    @Override
    public void close() {
        socket.close();
        Native.reap(pid, true);
    }
}
