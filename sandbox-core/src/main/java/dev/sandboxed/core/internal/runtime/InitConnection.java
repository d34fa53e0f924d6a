package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.os.HostSockets;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.internal.seccomp.SeccompDenials;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.PortMapping;

/**
 * The connection to one sandbox's init (its PID 1): owns the socket, the thread that reads it, and the
 * bookkeeping of the processes it was asked to run. Every message from the init is dispatched here, on whichever
 * thread receives for the sandbox: the starting thread until the sandbox is ready, then a reader thread, or the
 * caller of a one-shot sandbox ({@link OneShot}) throughout.
 *
 * <p>Lifecycle: running until {@link #beginClose()} (closed) or the init's hang-up (ended). A process is only
 * registered while the init is connected, under the same lock the hang-up takes, so every registered process is
 * completed: by its own answers, or by the hang-up (with {@link ExitReason#SANDBOX_ENDED}).
 */
public final class InitConnection {
    private static final System.Logger LOG = System.getLogger(InitConnection.class.getName());
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /** A poll loop looks at the interrupt flag this often: poll(2) does not answer Thread.interrupt(). */
    static final long INTERRUPT_CHECK_MILLIS = 100;
    /** Each open sandbox has one thread reading its control socket, taken from here. */
    private static final ExecutorService READERS = DaemonPool.named("sandbox-control");
    /**
     * Answers to K_HOST_CONNECT are connected and sent from here, never from the reader: a reader blocked in a send
     * to an init blocked in its own send would hold both forever (the init keeps at most 64 requests open).
     */
    private static final ExecutorService HOST_CONNECTS = DaemonPool.named("sandbox-host-connect");

    /** Who receives from the socket once the sandbox is ready. */
    public enum AfterReady {
        READER_THREAD,
        /** The starting thread goes on receiving (a one-shot sandbox, see {@link OneShot}). */
        CALLER_RECEIVES
    }

    private final String sandboxId;
    private final ControlSocket socket;
    private final OomClassifier oom;
    private final Supplier<Optional<String>> serverFate;
    private final SeccompDenials denials = new SeccompDenials();
    private final AtomicInteger nextExecId = new AtomicInteger(1);
    private final Map<Integer, ProcessState> processes = new ConcurrentHashMap<>();
    /** The output pipes of the processes registered, by exec id: what a keeper drains once this JVM is gone. */
    private final Map<Integer, List<String>> outputPipes = new ConcurrentHashMap<>();
    /** Guards {@link #hungUp} against a process registered while the hang-up completes the others. */
    private final Object registration = new Object();
    private boolean hungUp;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private volatile CompletableFuture<int[]> namespaces;
    /** Host ports the init may ask a socket for (K_HOST_CONNECT): the spec's exposed ones, nothing else. */
    private volatile Set<HostPort> exposedHostPorts = Set.of();
    /** Published TCP ports with the port bypass, by container port: connections made inside reach them (F_PUBLISHED). */
    private volatile Map<Integer, PublishedPorts.Bound> bypassed = Map.of();
    /** Added to the ready timeout: the time the init's own lifecycle hooks may take (see LifecycleHooks). */
    private volatile Duration hooksAllowance = Duration.ZERO;
    /** The init's answer to K_DETACH, while one is awaited. */
    private volatile CompletableFuture<Message> detachAnswer;
    /** Set once a keeper holds the socket: why nothing runs here any more. */
    private volatile String keptBy;
    /** A set-up step that failed after the init reported ready (the old root's detach, see sandbox-init). */
    private volatile SandboxException lateSetupFailure;
    /** Set by the thread that starts a reader; read by the same starting thread's rollback. */
    private volatile boolean readerStarted;

    /**
     * @param serverFate why the server that made this sandbox died, if it did (it is reaped on asking): the inits it
     *                   made die with it, and their hang-up says so
     */
    public InitConnection(String sandboxId, ControlSocket socket, OomClassifier oom, Supplier<Optional<String>> serverFate) {
        this.sandboxId = sandboxId;
        this.socket = socket;
        this.oom = oom;
        this.serverFate = serverFate;
    }

    /**
     * Waits until sandbox-init reports the sandbox set up; throws the failed step otherwise. The starting
     * thread reads that answer itself (a hand-over from a reader thread costs a wake-up). After a failure a reader
     * thread takes over whatever {@code next} says, so that a close can finish.
     */
    public Message awaitReady(AfterReady next) {
        boolean ready = false;
        try {
            Message answer = receiveUntil(Protocol.K_READY);
            ready = true;
            return answer;
        } finally {
            if (next == AfterReady.READER_THREAD || !ready) {
                startReader();
            }
        }
    }

    /** A reader thread takes the socket: it dispatches every message until the init hangs up. */
    void startReader() {
        readerStarted = true;
        READERS.execute(this::readLoop);
    }

    /**
     * For a start that failed: a reader unless one was started already. The starting thread, the only one that
     * received before, has stopped; without a reader nobody would see the init's hang-up that a close waits for.
     */
    void startReaderUnlessStarted() {
        if (!readerStarted) {
            startReader();
        }
    }

    ControlSocket socket() {
        return socket;
    }

    void exposeHostPorts(List<HostPort> ports) {
        exposedHostPorts = Set.copyOf(ports);
    }

    void bypassPublishedPorts(List<PublishedPorts.Bound> ports) {
        Map<Integer, PublishedPorts.Bound> tcp = new HashMap<>();
        for (PublishedPorts.Bound b : ports) {
            if (b.mapping().transport() == PortMapping.Transport.TCP) {
                tcp.put(b.mapping().containerPort(), b);
            }
        }
        bypassed = Map.copyOf(tcp);
    }

    /**
     * A connection to an exposed host port was accepted inside, or a new client inside sent a datagram to an exposed
     * UDP port: connect to the host's 127.0.0.1:PORT (non-blocking; the init waits for the outcome) and hand the
     * socket over, or tell the init why there is none.
     */
    private void answerHostConnect(Message m) {
        int id = m.u32(Protocol.F_REQUEST_ID, 0);
        int port = m.u32(Protocol.F_PORT, 0);
        boolean udp = m.u32(Protocol.F_TRANSPORT, Protocol.TRANSPORT_TCP) == Protocol.TRANSPORT_UDP;
        if (!isRunning()) {
            return; // closed while this waited its turn: nobody takes the answer
        }
        Message answer = Message.of(Protocol.K_HOST_SOCKET).putU32(Protocol.F_REQUEST_ID, id);
        int fd;
        boolean exposed;
        if (m.u32(Protocol.F_PUBLISHED, 0) != 0) {
            // A connection made inside to a server that took a published port's host socket: to that socket.
            PublishedPorts.Bound b = udp ? null : bypassed.get(port);
            exposed = b != null;
            fd = !exposed ? -1 : HostSockets.connect(b.mapping().hostAddress(), b.hostPort());
        } else {
            exposed = port >= 1 && port <= 65535
                    && exposedHostPorts.contains(udp ? HostPort.udp(port) : HostPort.tcp(port));
            fd = !exposed ? -1 : udp ? HostSockets.connectLoopbackUdp(port) : HostSockets.connectLoopback(port);
        }
        try {
            if (fd < 0) {
                answer.putU32(Protocol.F_ERRNO, exposed ? Native.lastErrno() : Errno.EACCES);
                socket.send(answer);
            } else {
                socket.send(answer, fd);
            }
        } catch (RuntimeException e) {
            if (isRunning()) {
                LOG.log(Level.WARNING, "sandbox " + sandboxId + ": could not hand over a connection to host port " + port, e);
            }
        } finally {
            Native.close(fd);
        }
    }

    /**
     * Waits until the init paused before pivot_root for the lifecycle hooks (F_HOOK_PAUSE); throws the failed step
     * otherwise. A reader thread takes over after a failure (as after a failed {@link #awaitReady}), or with
     * {@link #failPausedStart}, so that a close can finish.
     */
    void allowForHooks(Duration time) {
        hooksAllowance = time;
    }

    void awaitHooksPaused() {
        try {
            receiveUntil(Protocol.K_HOOKS_PAUSED);
        } catch (RuntimeException e) {
            startReader();
            throw e;
        }
    }

    /** The start fails while the init is paused: a reader thread takes the socket, so that a close can finish. */
    SandboxException failPausedStart(SandboxException e) {
        startReader();
        return e;
    }

    private Message receiveUntil(int expected) {
        Duration timeout = READY_TIMEOUT.plus(hooksAllowance);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new SandboxException("set up sandbox: no answer from sandbox-init within " + timeout.toSeconds() + " s", 0);
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new SandboxInterruptedException("interrupted while starting sandbox " + sandboxId, new InterruptedException());
            }
            if (!socket.awaitReadable(Math.min(left, INTERRUPT_CHECK_MILLIS))) {
                continue;
            }
            ControlSocket.Received r = socket.receive();
            if (r == null) {
                throw new SandboxException(endedBecause(), 0);
            }
            for (int fd : r.fds()) {
                Native.close(fd);
            }
            Message m = r.message();
            if (m.kind() == expected) {
                return m;
            }
            if (m.kind() == Protocol.K_SETUP_FAILED) {
                String step = m.string(Protocol.F_STEP, "set up sandbox");
                int errno = m.u32(Protocol.F_ERRNO, 0);
                int mode = m.u32(Protocol.F_ROOT_FAILED, -1);
                throw mode < 0 ? new SandboxException(step, errno) : new ImageRootFailure(step, errno, mode);
            }
            dispatch(m);
        }
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Completes when the init hung up: it exited, with everything in the sandbox. */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    public boolean isRunning() {
        return !closed.get() && !ended.isDone();
    }

    /** Throws {@link #notRunning} unless the sandbox is running. */
    public void ensureRunning() {
        if (!isRunning()) {
            throw notRunning(null);
        }
    }

    /** The failure of a use that lost to close() (or to the sandbox's end), whatever part of it failed. */
    public IllegalStateException notRunning(Throwable cause) {
        if (keptBy != null) {
            return new IllegalStateException("sandbox " + sandboxId + " is " + keptBy + "; use `sandboxed exec`", cause);
        }
        String state = closed.get() ? "closed" : ended.isDone() ? "ended" : "running";
        String why = closed.get() ? "" : serverFate.get().map(fate -> " (" + fate + ")").orElse("");
        return new IllegalStateException("sandbox " + sandboxId + " is " + state + why + "; start a new one", cause);
    }

    /**
     * Sends the exec message of a new process with its stdio's child ends and its argument memfd, if any (closed here,
     * sent or not). On failure the parent ends are closed too; a send that lost to close() fails with
     * {@link #notRunning}.
     */
    public ProcessState send(List<String> command, IntFunction<ExecMessage> execMessage, StdioSetup stdio) {
        int execId = nextExecId.getAndIncrement();
        ProcessState p = new ProcessState(execId, command);
        try {
            register(p);
            outputPipes.put(execId, stdio.outputPipes());
            try (ExecMessage exec = execMessage.apply(execId)) {
                if (stdio.nullStreams() != 0) {
                    exec.message().putU32(Protocol.F_STDIO_NULL, stdio.nullStreams());
                }
                socket.send(exec.message(), exec.fds(stdio.sentFds()));
            }
        } catch (RuntimeException e) {
            processes.remove(execId);
            outputPipes.remove(execId);
            stdio.closeParentEnds();
            throw isRunning() ? e : notRunning(e);
        } finally {
            stdio.closeChildEnds();
        }
        return p;
    }

    /**
     * Adds a process whose exec message is about to be sent. Once the init hung up nothing would complete it, so
     * then it is refused; before, the hang-up completes it (it sees every process registered until then).
     */
    private void register(ProcessState p) {
        synchronized (registration) {
            if (hungUp) {
                throw notRunning(null);
            }
            processes.put(p.execId(), p);
        }
    }

    /** Signals one process ({@code execId} 0: every process); nothing once the sandbox is no longer running. */
    public void signal(int execId, int signal) {
        sendSignal(Message.of(Protocol.K_SIGNAL).putU32(Protocol.F_EXEC_ID, execId).putU32(Protocol.F_SIGNO, signal));
    }

    private void sendSignal(Message signal) {
        if (isRunning()) {
            try {
                socket.send(signal);
            } catch (RuntimeException e) {
                if (isRunning()) {
                    throw e;
                } // closed or ended meanwhile: everything in it is being killed anyway
            }
        }
    }

    /** Kills a process because it ran too long; its exit reason becomes TIMED_OUT. */
    public void killForTimeout(ProcessState p) {
        p.markTimedOut();
        killWithGroup(p);
    }

    /**
     * SIGKILL to a process and to the process group it leads (it was started in a new session): what it left
     * running in the background and holding its pipes dies too, as far as the sandbox can tell (in a sandbox
     * without its own pid namespace only the process itself is killed). Also once the process itself has exited.
     */
    public void killWithGroup(ProcessState p) {
        int group = p.pidNow();
        Message kill = Message.of(Protocol.K_SIGNAL).putU32(Protocol.F_EXEC_ID, p.execId())
                .putU32(Protocol.F_SIGNO, Native.SIGKILL);
        if (group > 1) {
            kill.putU32(Protocol.F_PGID, group);
        }
        sendSignal(kill);
    }

    /** The sandbox's user and network namespace files, for a sandbox that shares its network. Caller closes them. */
    public synchronized int[] namespaceFds() {
        ensureRunning();
        CompletableFuture<int[]> pending = new CompletableFuture<>();
        namespaces = pending;
        boolean handedOver = false;
        try {
            try {
                socket.send(Message.of(Protocol.K_GET_NAMESPACES));
            } catch (RuntimeException e) {
                throw isRunning() ? e : notRunning(e);
            }
            int[] fds = pending.get(10, TimeUnit.SECONDS);
            handedOver = true;
            return fds;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SandboxException failed) {
                throw failed;
            }
            throw new SandboxException("get the namespaces of sandbox " + sandboxId + " to share its network", e.getCause());
        } catch (TimeoutException e) {
            throw new SandboxException("get the namespaces of sandbox " + sandboxId + " to share its network", e);
        } catch (InterruptedException e) {
            throw SandboxInterruptedException.restoringFlag("interrupted while getting the namespaces of sandbox " + sandboxId, e);
        } finally {
            namespaces = null;
            // Descriptors that arrive after the wait gave up are nobody's: close them (handle() does it if later).
            if (!handedOver && !pending.cancel(false) && !pending.isCompletedExceptionally()) {
                closeAll(pending.join());
            }
        }
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) {
            Native.close(fd);
        }
    }

    /** Syscalls the seccomp filter refused, by name, with how often. */
    public Map<String, Long> denials() {
        return denials.byName();
    }

    /** Processes still registered, for a graceful stop. */
    public List<ProcessState> processes() {
        return List.copyOf(processes.values());
    }

    /** True for the first call only: from then on nothing new is sent, and the caller shuts the sandbox down. */
    public boolean beginClose() {
        return closed.compareAndSet(false, true);
    }

    /**
     * Asks the init to kill everything and exit, and waits for its hang-up ({@code killInit} after 5 s); then closes
     * the socket and waits for the reader to finish.
     */
    public void shutDown(Runnable killInit) {
        if (!ended.isDone()) {
            try {
                socket.send(Message.of(Protocol.K_SHUTDOWN));
            } catch (RuntimeException alreadyGone) {
                // the init exited meanwhile
            }
            if (!Uninterruptibly.await(ended, Duration.ofSeconds(5))) {
                killInit.run();
            }
        }
        socket.close();
        Uninterruptibly.await(readerDone, Duration.ofSeconds(5));
    }

    private void readLoop() {
        boolean detached = false;
        try {
            ControlSocket.Received r;
            while ((r = socket.receive()) != null) {
                CompletableFuture<Message> detaching = detachAnswer;
                if (r.message().kind() == Protocol.K_DETACH && detaching != null) {
                    closeAll(r.fds());
                    detaching.complete(r.message());
                    if (r.message().find(Protocol.F_ERRNO).isEmpty()) {
                        detached = true; // what comes after the answer is the keeper's to read
                        return;
                    }
                    continue;
                }
                handle(r);
            }
        } catch (RuntimeException e) {
            if (!closed.get()) {
                LOG.log(Level.WARNING, "lost the connection to sandbox " + sandboxId, e);
            }
        } finally {
            if (!detached) {
                hungUp();
            }
        }
    }

    /**
     * Has the init outlive this JVM's server (K_DETACH) and stops the reader at its answer: every message after it is
     * for the keeper that takes the socket over ({@link #handedOver}), or for a new reader ({@link #startReader}) if
     * that fails. Throws the init's failure (the reader goes on then).
     */
    synchronized void detach() {
        ensureRunning();
        CompletableFuture<Message> answer = new CompletableFuture<>();
        detachAnswer = answer;
        try {
            socket.send(Message.of(Protocol.K_DETACH));
            Message m = answer.get(10, TimeUnit.SECONDS);
            if (m.find(Protocol.F_ERRNO).isPresent()) {
                throw new SandboxException(m.string(Protocol.F_STEP, "detach sandbox init"), m.u32(Protocol.F_ERRNO, 0));
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new SandboxException("detach the init of sandbox " + sandboxId + ": no answer", e);
        } catch (InterruptedException e) {
            throw SandboxInterruptedException.restoringFlag("interrupted while keeping sandbox " + sandboxId, e);
        } finally {
            detachAnswer = null;
        }
    }

    /** The output pipes of the processes still running ({@code pipe:[INODE]}; after {@link #detach} nothing changes them). */
    List<String> outputPipesOfRunning() {
        return outputPipes.values().stream().flatMap(List::stream).toList();
    }

    /** The socket, for the keeper; this side gets nothing more from it (after {@link #detach}). Release it after. */
    int socketFd() {
        return socket.descriptor().acquire();
    }

    void releaseSocketFd() {
        socket.descriptor().release();
    }

    /**
     * A keeper holds the socket now ({@code keptBy} says which): processes still registered here end as far as this JVM
     * can tell (they go on running), and this side's socket is closed.
     */
    void handedOver(String keptBy) {
        this.keptBy = keptBy;
        closed.set(true);
        hungUp();
        // Only this descriptor: a shutdown (as socket.close() does to wake a reader) would end the keeper's too.
        socket.descriptor().close();
    }

    /** One message from the init, on whichever thread receives for the sandbox. */
    void handle(ControlSocket.Received r) {
        CompletableFuture<int[]> pendingNamespaces = namespaces;
        if (r.message().kind() == Protocol.K_NAMESPACES && pendingNamespaces != null) {
            if (!pendingNamespaces.complete(r.fds())) {
                closeAll(r.fds()); // the caller stopped waiting
            }
            return;
        }
        if (r.message().kind() == Protocol.K_NAMESPACES_FAILED && pendingNamespaces != null) {
            Message m = r.message();
            pendingNamespaces.completeExceptionally(
                    new SandboxException(m.string(Protocol.F_STEP, "open the sandbox's namespace files"), m.u32(Protocol.F_ERRNO, 0)));
            return;
        }
        closeAll(r.fds());
        dispatch(r.message());
    }

    /** The init hung up (or the connection broke): everything still waiting learns the sandbox ended. */
    void hungUp() {
        if (readerDone.getCount() == 0) {
            return;
        }
        ended.complete(null);
        List<ProcessState> left;
        synchronized (registration) {
            hungUp = true;
            left = List.copyOf(processes.values());
        }
        CompletableFuture<int[]> pendingNamespaces = namespaces;
        // Built only for someone still waiting: a normal end (every process reported) needs no exception, nor the
        // server's fate that its message asks for.
        if ((pendingNamespaces != null && !pendingNamespaces.isDone()) || left.stream().anyMatch(ProcessState::startPending)) {
            SandboxException late = lateSetupFailure;
            SandboxException gone = late != null ? late : new SandboxException(endedBecause(), 0);
            if (pendingNamespaces != null) {
                pendingNamespaces.completeExceptionally(gone);
            }
            left.forEach(p -> p.failedToStartIfPending(gone));
        }
        ExitStatus killed = new ExitStatus(137, OptionalInt.of(9), ExitReason.SANDBOX_ENDED);
        for (ProcessState p : left) {
            p.exited(killed);
        }
        readerDone.countDown();
    }

    private void dispatch(Message m) {
        switch (m.kind()) {
            case Protocol.K_SETUP_FAILED -> lateSetupFailure =
                    new SandboxException(m.string(Protocol.F_STEP, "set up sandbox"), m.u32(Protocol.F_ERRNO, 0));
            case Protocol.K_STARTED -> withProcess(m, p -> p.started(m.u32(Protocol.F_PID, -1)));
            case Protocol.K_EXEC_FAILED -> withProcess(m, p -> {
                processes.remove(p.execId());
                outputPipes.remove(p.execId());
                p.failedToStart(new SandboxException(m.string(Protocol.F_STEP, "start process"), m.u32(Protocol.F_ERRNO, 0)));
            });
            case Protocol.K_EXITED -> withProcess(m, p -> {
                processes.remove(p.execId());
                outputPipes.remove(p.execId());
                p.exited(oom.classify(ExitStatus.fromWaitStatus(m.u32(Protocol.F_STATUS, 0))));
            });
            case Protocol.K_DENIALS -> {
                for (Message.Field f : m.fields()) {
                    if (f.tag() == Protocol.F_DENIAL) {
                        denials.record(f.u32(Protocol.DENIAL_ARCH), f.u32(Protocol.DENIAL_NR), f.u64(Protocol.DENIAL_COUNT));
                    }
                }
            }
            case Protocol.K_HOST_CONNECT -> HOST_CONNECTS.execute(() -> answerHostConnect(m));
            // Only where the init runs out of resources (Java sends no more mappings than it takes): say so.
            case Protocol.K_PUBLISH_FAILED -> LOG.log(Level.WARNING, "sandbox " + sandboxId + ": port "
                    + m.u32(Protocol.F_PORT, 0) + " is not forwarded: " + new SandboxException(
                            m.string(Protocol.F_STEP, "publish port"), m.u32(Protocol.F_ERRNO, 0)).getMessage());
            default -> LOG.log(Level.DEBUG, "sandbox " + sandboxId + ": ignoring message kind " + m.kind());
        }
    }

    private void withProcess(Message m, Consumer<ProcessState> action) {
        ProcessState p = processes.get(m.u32(Protocol.F_EXEC_ID, -1));
        if (p != null) {
            action.accept(p);
        }
    }

    /** Why the init hung up: its server died (and took it along), or the init itself exited during set-up. */
    private String endedBecause() {
        return "sandbox " + sandboxId + " ended: " + serverFate.get().orElse("sandbox-init exited during set-up");
    }
}
