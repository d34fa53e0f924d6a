package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import dev.sandboxed.core.internal.os.Fd;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;

/**
 * The JVM's one sandbox-init server: a single-threaded process that clones sandboxes on request.
 * It watches its socket, so when this JVM dies (even by kill -9) the server and every sandbox die too.
 */
public final class InitServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InitServer.class.getName());
    /** Parked process ids, unique in the JVM: a request that outlives its server never names another's. */
    private static final AtomicInteger PARKED_IDS = new AtomicInteger();

    private final int pid;
    private final ControlSocket socket;
    /** Sends SIGKILL to a pid: {@link Native#kill} but in tests, which watch that a reaped pid gets none. */
    private final IntConsumer sigkill;
    /** Guards {@link #death} and {@link #reaped}: the server is reaped once, by whichever thread gets there first. */
    private final Object fate = new Object();
    private ExitStatus death;
    /** Once set, {@link #pid} may name another process: nothing signals it any more. */
    private boolean reaped;

    /** The server died; {@link #beforeRequest()}: already before the request was sent, so nothing of it was made. */
    public static final class DiedException extends SandboxException {
        private static final long serialVersionUID = 1L;
        private final boolean beforeRequest;

        DiedException(String message, boolean beforeRequest) {
            super(message, 0);
            this.beforeRequest = beforeRequest;
        }

        public boolean beforeRequest() {
            return beforeRequest;
        }
    }

    private InitServer(int pid, ControlSocket socket, IntConsumer sigkill) {
        this.pid = pid;
        this.socket = socket;
        this.sigkill = sigkill;
    }

    public static InitServer start() {
        return start(InitBinary.locate(), pid -> Native.kill(pid, Native.SIGKILL));
    }

    static InitServer start(IntConsumer sigkill) {
        return start(InitBinary.locate(), sigkill);
    }

    static InitServer start(Path binary, IntConsumer sigkill) {
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
        try {
            checkHello(socket, binary);
        } catch (RuntimeException e) {
            // Not a server we can talk to: it may not exit on its own, and must not stay behind, nor its socket.
            socket.close();
            Native.kill(pid, Native.SIGKILL); // our unreaped child: the pid is still its own
            reap(pid);
            throw e;
        }
        LOG.log(Level.DEBUG, "sandbox-init server {0} started from {1}", pid, binary);
        return new InitServer(pid, socket, sigkill);
    }

    /** Waits until {@code pid}, our child, is reaped: an EINTR leaves it ours, so the wait starts again. */
    private static void reap(int pid) {
        while (!Native.reap(pid, true)) {
            Thread.onSpinWait();
        }
    }

    /** The server's first message: hello with the protocol this JVM speaks. */
    private static void checkHello(ControlSocket socket, Path binary) {
        ControlSocket.Received hello;
        try {
            hello = socket.receive();
        } catch (RuntimeException e) {
            throw new SandboxException("start sandbox-init server (" + binary + "): its hello is not a message: "
                    + e.getMessage(), e);
        }
        for (int fd : hello == null ? new int[0] : hello.fds()) {
            Native.close(fd);
        }
        if (hello == null || hello.message().kind() != Protocol.K_HELLO) {
            throw new SandboxException("start sandbox-init server (" + binary + "): it did not say hello (it exited,"
                    + " see its message on stderr, or it is not sandbox-init)", 0);
        }
        int version = hello.message().u32(Protocol.F_VERSION, 0);
        if (version != Protocol.PROTOCOL_VERSION) {
            throw new SandboxException("start sandbox-init server: protocol " + version + ", expected " + Protocol.PROTOCOL_VERSION, 0);
        }
    }

    /**
     * A new sandbox init: its host pid, whether a process parked in its cgroups cloned it ({@link #park}), and the
     * server's number for it ({@link #kill}).
     */
    public record Created(int pid, boolean byParked, int seq, InitServer server) {
        /**
         * SIGKILL, sent by its server, which is its parent: only until the server reaped it, so never to a later
         * process that got the pid. No effect once the server is gone (its inits die with it).
         */
        public void kill() {
            server.killInit(pid, seq);
        }
    }

    /**
     * Asks the server to clone a sandbox init and hands it {@code fds} (its socket, then the namespaces it
     * joins, if any). One request at a time: the server is single-threaded anyway.
     */
    public synchronized Created create(Message request, int... fds) {
        return createWithNamespaces(request, null, fds);
    }

    /**
     * As {@link #create}; with {@code namespaces} (for a request with {@code F_NAMESPACES_OUT}) it receives the init's
     * user and network namespace descriptors, which the caller closes.
     */
    public synchronized Created createWithNamespaces(Message request, int[] namespaces, int... fds) {
        ControlSocket.Received reply = exchange("create sandbox", request, fds);
        Message m = reply.message();
        boolean handOver = namespaces != null && m.kind() == Protocol.K_CREATED && reply.fds().length == namespaces.length;
        for (int i = 0; i < reply.fds().length; i++) {
            if (handOver) {
                namespaces[i] = reply.fds()[i];
            } else {
                Native.close(reply.fds()[i]);
            }
        }
        if (namespaces != null && m.kind() == Protocol.K_CREATED && !handOver) {
            throw new SandboxException("create sandbox: the sandbox-init server sent " + reply.fds().length
                    + " namespace descriptors, expected " + namespaces.length, 0);
        }
        if (m.kind() == Protocol.K_CREATED) {
            return new Created(m.u32(Protocol.F_PID, -1), m.find(Protocol.F_PARKED).isPresent(),
                    m.u32(Protocol.F_INIT_SEQ, 0), this);
        }
        throw new SandboxException(m.string(Protocol.F_STEP, "create sandbox"), m.u32(Protocol.F_ERRNO, 0));
    }

    /**
     * Has the server fork the keeper of a sandbox kept after this JVM (see keeper.c in sandbox-init): {@code fds} are
     * the init's control socket, the entry's keeper lock file and output pipes the keeper drains once this JVM is gone;
     * {@code profile}'s capabilities, rlimits and seccomp program are what the keeper gives every process it starts,
     * and {@code imageLock} (null: none) a use lock file it holds shared while it lives. Returns the keeper's pid once
     * it holds its locks and its operations socket.
     */
    public synchronized int keep(long untilEpochSecond, ExecProfile profile, Path imageLock, int... fds) {
        Message request = Message.of(Protocol.K_KEEP).putU64(Protocol.F_KEEP_UNTIL, untilEpochSecond);
        ProcessMessages.putConfinement(request, profile, true);
        if (imageLock != null) {
            request.putString(Protocol.F_IMAGE_LOCK, imageLock.toString());
        }
        ControlSocket.Received reply = exchange("keep sandbox", request, fds);
        for (int fd : reply.fds()) {
            Native.close(fd);
        }
        Message m = reply.message();
        if (m.kind() == Protocol.K_KEEP && m.find(Protocol.F_PID).isPresent()) {
            return m.u32(Protocol.F_PID, -1);
        }
        throw new SandboxException(m.string(Protocol.F_STEP, "keep sandbox"), m.u32(Protocol.F_ERRNO, 0));
    }

    /**
     * Asks the server to make network {@code id}: a holder in new user and network namespaces (with these id maps;
     * {@code setgroups} null to leave it) makes the bridge and hands the server a socket of that namespace.
     */
    public synchronized void createNetwork(int id, String setgroups, String uidMap, String gidMap) {
        Message request = Message.of(Protocol.K_NETWORK_CREATE).putU32(Protocol.F_NETWORK, id);
        if (setgroups != null) {
            request.putString(Protocol.F_SETGROUPS, setgroups);
        }
        request.putString(Protocol.F_UID_MAP, uidMap).putString(Protocol.F_GID_MAP, gidMap);
        ControlSocket.Received reply = exchange("create network", request);
        for (int fd : reply.fds()) {
            Native.close(fd);
        }
        Message m = reply.message();
        if (m.kind() != Protocol.K_NETWORK_CREATED) {
            throw new SandboxException(m.string(Protocol.F_STEP, "create network"), m.u32(Protocol.F_ERRNO, 0));
        }
    }

    /**
     * Asks the server for a slot of network {@code id}: new user and network namespaces with {@code ids}' maps, eth0
     * up with {@code address}/{@code prefix} and its bridge port forwarding. Returns the caller's descriptors of the
     * [user, network] namespaces, their only holders.
     */
    public synchronized int[] prepareSlot(int id, String address, int prefix, IdMapPlan ids) {
        Message request = Message.of(Protocol.K_NETWORK_SLOT).putU32(Protocol.F_NETWORK, id)
                .put(Protocol.F_NET_ADDRESS, CreateMessage.netAddress(address, prefix));
        ids.setgroups().ifPresent(v -> request.putString(Protocol.F_SETGROUPS, v));
        request.putString(Protocol.F_UID_MAP, ids.uidMap()).putString(Protocol.F_GID_MAP, ids.gidMap());
        ControlSocket.Received reply = exchange("prepare network slot", request);
        Message m = reply.message();
        if (m.kind() == Protocol.K_NETWORK_SLOT_READY && reply.fds().length == 2) {
            return reply.fds().clone();
        }
        for (int fd : reply.fds()) {
            Native.close(fd);
        }
        throw new SandboxException(m.string(Protocol.F_STEP, "prepare network slot"), m.u32(Protocol.F_ERRNO, 0));
    }

    /**
     * Has the server fork a process that moves itself into these v1 cgroups and waits there until a create request
     * names it ({@link Protocol#F_PARKED}): that init starts in the cgroups, and no start waits for the kernel's
     * grace period in a v1 cgroup move. No answer: a server that could not park one creates that sandbox the usual
     * way. Returns the id the create request names it by.
     */
    public synchronized int park(List<Path> procsFiles) {
        int id = PARKED_IDS.incrementAndGet();
        Message request = Message.of(Protocol.K_PARK).putU32(Protocol.F_PARKED, id);
        for (Path procs : procsFiles) {
            request.putString(Protocol.F_CGROUP_PROCS, procs.toString());
        }
        send(request);
        return id;
    }

    /** Lets the parked process {@code id} exit (no answer); one that is gone or was used is no matter. */
    public synchronized void unpark(int id) {
        sendUnlessDead(Message.of(Protocol.K_UNPARK).putU32(Protocol.F_PARKED, id)); // a dead one's died with it
    }

    private synchronized void killInit(int pid, int seq) {
        if (seq == 0) {
            Native.kill(pid, Native.SIGKILL); // the server had no memory to list it: by pid, as before it could
            return;
        }
        sendUnlessDead(Message.of(Protocol.K_KILL_INIT).putU32(Protocol.F_PID, pid).putU32(Protocol.F_INIT_SEQ, seq));
    }

    /** Lets the server drop network {@code id} (no answer): its namespace goes, so close its members first. */
    public synchronized void removeNetwork(int id) {
        sendUnlessDead(Message.of(Protocol.K_NETWORK_REMOVE).putU32(Protocol.F_NETWORK, id)); // a dying one drops all
    }

    /** Sends {@code request} with {@code fds} and returns the server's answer: {@code what} names it in failures. */
    private ControlSocket.Received exchange(String what, Message request, int... fds) {
        send(request, fds);
        ControlSocket.Received reply = socket.receive();
        if (reply == null) {
            throw diedOr(new SandboxException(what + ": the sandbox-init server hung up", 0), false);
        }
        return reply;
    }

    private void send(Message request, int... fds) {
        try {
            socket.send(request, fds);
        } catch (SandboxException e) {
            // Only a broken connection means the server is going; a refused message (EMSGSIZE, ...) says nothing
            // about it, and killing it would take every running sandbox of this JVM with it.
            throw brokenConnection(e) ? diedOr(e, true) : e;
        }
    }

    /**
     * Sends a request that has no answer; a server that is gone needs it no more (what it held died with it), whether
     * it died or this JVM closed it (at exit, or replaced after its death).
     */
    private void sendUnlessDead(Message request) {
        try {
            socket.send(request);
        } catch (Fd.ClosedException closed) {
            // closed here: its sandboxes went with it
        } catch (SandboxException e) {
            if (!brokenConnection(e)) {
                throw e;
            }
        }
    }

    private static boolean brokenConnection(SandboxException e) {
        return e.errno() == Errno.EPIPE || e.errno() == Errno.ECONNRESET || e.errno() == Errno.ENOTCONN;
    }

    /** The server's socket failed: it is dying (it closes the socket only at exit), so it is reaped here. */
    private SandboxException diedOr(SandboxException failure, boolean beforeRequest) {
        synchronized (fate) {
            if (!reaped) { // unreaped, the pid is still the server's: another thread's hasDied() may have reaped it
                sigkill.accept(pid); // no effect on how it died if it is exiting already
            }
        }
        return death(true).<SandboxException>map(message -> new DiedException(message, beforeRequest)).orElse(failure);
    }

    /** Why the server died ({@code sandbox-init server died (signal 9)}), reaping it; empty while it runs. */
    public Optional<String> deathIfAny() {
        return death(false);
    }

    /** Whether the server has died; it is reaped if so, and the next request goes to a new one. */
    public boolean hasDied() {
        return death(false).isPresent();
    }

    /** {@code failure} of a start this server took part in, explained by the server's death if it died. */
    public RuntimeException explain(RuntimeException failure) {
        if (failure instanceof DiedException) {
            return failure;
        }
        return death(false).<RuntimeException>map(message -> new SandboxException(message, failure)).orElse(failure);
    }

    /** "sandbox-init server died (signal N)" once it died and was reaped; empty while it runs. */
    private Optional<String> death(boolean block) {
        synchronized (fate) {
            if (death == null) {
                int[] status = new int[1];
                if (!reaped && Native.libc().waitpid(pid, status, block ? 0 : Native.WNOHANG) == pid) {
                    reaped = true;
                    death = ExitStatus.fromWaitStatus(status[0]);
                    LOG.log(Level.WARNING, "sandbox-init server {0} died ({1}); the next start gets a new one", pid, describe(death));
                }
            }
            return Optional.ofNullable(death).map(d -> "sandbox-init server died (" + describe(d) + ")");
        }
    }

    private static String describe(ExitStatus status) {
        return status.signal().isPresent() ? "signal " + status.signal().getAsInt() : "exit code " + status.exitCode();
    }

    @Override
    public void close() {
        socket.close();
        synchronized (fate) {
            if (!reaped) {
                reap(pid);
                reaped = true;
            }
        }
    }

    /** The server's host pid, for tests. */
    int pid() {
        return pid;
    }
}
