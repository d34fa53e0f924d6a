package dev.sandboxed.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.internal.runtime.DaemonPool;
import dev.sandboxed.core.internal.runtime.Drainers;
import dev.sandboxed.core.internal.runtime.IdMapPlan;
import dev.sandboxed.core.internal.runtime.OomClassifier;
import dev.sandboxed.core.internal.runtime.ProcessMessages;
import dev.sandboxed.core.internal.runtime.StdioSetup;
import dev.sandboxed.core.internal.seccomp.SeccompDenials;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * A running sandbox: fresh namespaces, its own root, limits and a seccomp filter, with sandbox-init as
 * PID 1. Run processes in it with {@link #exec} (to completion) or {@link #spawn} (in the background),
 * from any thread. {@link #close()} kills everything in it and removes every trace; it is idempotent.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
 *     ExecResult r = sandbox.exec("sh", "-c", "echo hello");
 * }
 * }</pre>
 */
public final class Sandbox implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Sandbox.class.getName());
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /** Each open sandbox has one thread reading its control socket, taken from here. */
    private static final ExecutorService READERS = DaemonPool.named("sandbox-control");

    /** Lifecycle of a sandbox. */
    public enum State { RUNNING, ENDED, CLOSED }

    private final String id;
    private final SandboxSpec spec;
    private final IdMapPlan ids;
    private final Optional<SeccompFilter> seccomp;
    private final ControlSocket socket;
    private final SandboxCgroup cgroup;
    private final StateDirectory.Entry stateEntry;
    private final int initPid;
    private final Runnable onClose;
    private final SandboxRuntime runtime;
    private final AtomicInteger nextExecId = new AtomicInteger(1);
    private final Map<Integer, SandboxProcess> processes = new ConcurrentHashMap<>();
    /** Guards {@link #connectionGone} against a process registered while the hang-up completes the others. */
    private final Object registration = new Object();
    /** Set once by the hang-up: no process can be registered afterwards (nothing would ever complete it). */
    private boolean connectionGone;
    private final SeccompDenials denials = new SeccompDenials();
    private final OomClassifier oom;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private volatile CompletableFuture<int[]> namespaces;
    /** A set-up step that failed after the init reported ready (the old root's detach, see sandbox-init). */
    private volatile SandboxException lateSetupFailure;
    private volatile Launched mainLaunch;

    Sandbox(String id, SandboxSpec spec, IdMapPlan ids, Optional<SeccompFilter> seccomp, ControlSocket socket,
            SandboxCgroup cgroup, StateDirectory.Entry stateEntry, int initPid, SandboxRuntime runtime, Runnable onClose) {
        this.id = id;
        this.spec = spec;
        this.ids = ids;
        this.seccomp = seccomp;
        this.socket = socket;
        this.cgroup = cgroup;
        this.stateEntry = stateEntry;
        this.initPid = initPid;
        this.onClose = onClose;
        this.runtime = runtime;
        this.oom = new OomClassifier(id, cgroup);
    }

    /** Starts a sandbox with the shared runtime (configured from {@code sandboxed.*} system properties). */
    public static Sandbox start(SandboxSpec spec) {
        return SandboxRuntime.shared().start(spec);
    }

    /**
     * Waits until sandbox-init reports the sandbox set up; throws the failed step otherwise. The starting
     * thread reads that answer itself (a hand-over from a reader thread costs a wake-up). Afterwards the
     * sandbox's reader thread takes the socket over, unless {@code handOver} is false: then the caller keeps
     * receiving (see OneShot). After a failure a reader thread takes over all the same, so close() can finish.
     */
    void awaitReady(boolean handOver) {
        boolean ready = false;
        try {
            receiveReadyAnswer();
            ready = true;
        } finally {
            if (handOver || !ready) {
                startReader();
            }
        }
    }

    /** A reader thread takes the socket: it dispatches every message until the init hangs up. */
    void startReader() {
        READERS.execute(this::readLoop);
    }

    ControlSocket socket() {
        return socket;
    }

    private void receiveReadyAnswer() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0 || !socket.awaitReadable(left)) {
                throw new SandboxException("set up sandbox: no answer from sandbox-init within " + READY_TIMEOUT.toSeconds() + " s", 0);
            }
            ControlSocket.Received r = socket.receive();
            if (r == null) {
                throw new SandboxException("sandbox " + id + " ended during set-up (sandbox-init exited)", 0);
            }
            for (int fd : r.fds()) {
                Native.close(fd);
            }
            Message m = r.message();
            if (m.kind() == Protocol.K_READY) {
                return;
            }
            if (m.kind() == Protocol.K_SETUP_FAILED) {
                throw new SandboxException(m.string(Protocol.F_STEP, "set up sandbox"), m.u32(Protocol.F_ERRNO, 0));
            }
            dispatch(m);
        }
    }

    public String id() {
        return id;
    }

    public SandboxSpec spec() {
        return spec;
    }

    /** The host pid of the sandbox's init (PID 1 inside). */
    public int pid() {
        return initPid;
    }

    public State state() {
        if (closed.get()) {
            return State.CLOSED;
        }
        return ended.isDone() ? State.ENDED : State.RUNNING;
    }

    /** Runs a command to completion with the spec's defaults. */
    public ExecResult exec(String... command) {
        return exec(ProcessSpec.of(command));
    }

    /**
     * Runs a process to completion, collecting its output. On timeout the process is killed and the
     * result's reason is {@link ExitReason#TIMED_OUT}.
     */
    public ExecResult exec(ProcessSpec process) {
        Instant start = Instant.now();
        // No wait for the start-up answer: a failure to start completes the exit with its exception, and
        // waiting twice would cost a second wake-up per exec.
        return complete(launch(process, false, false), process, start);
    }

    /**
     * Runs one process in a fresh sandbox, to completion, and removes the sandbox: a one-shot sandbox, as
     * {@code bwrap ... CMD} or {@code sandboxed run} give. Quicker than {@code start} plus {@code exec}: the
     * process goes to sandbox-init with the set-up, and the sandbox ends with it.
     */
    public static ExecResult run(SandboxSpec spec, ProcessSpec process) {
        return SandboxRuntime.shared().run(spec, process);
    }

    /** Collects the output of a process launched with piped streams and waits for it, within its timeout. */
    ExecResult complete(SandboxProcess p, ProcessSpec process, Instant start) {
        Future<byte[]> out = drain(p.stdout(), process.stdout());
        Future<byte[]> err = drain(p.stderr(), process.stderr());
        closeQuietly(p.stdin());
        ExitStatus status;
        if (process.timeout().isPresent()) {
            Optional<ExitStatus> done = p.waitFor(process.timeout().get());
            if (done.isEmpty()) {
                p.killForTimeout();
                status = p.waitFor();
            } else {
                status = done.get();
            }
        } else {
            status = p.waitFor();
        }
        return new ExecResult(p.command(), status, join(out), join(err), Duration.between(start, Instant.now()));
    }

    /** Starts a process in the background. Piped streams must be read (or closed) by the caller. */
    public SandboxProcess spawn(ProcessSpec process) {
        return launch(process, false, true);
    }

    /**
     * Starts the sandbox's main process: when it exits, the sandbox ends with its status, as a
     * container does with its entrypoint. Used by {@code sandboxed run}.
     */
    public SandboxProcess runMain(ProcessSpec process) {
        mainLaunch = launch(process, true, true, false);
        return mainLaunch.process();
    }

    /**
     * Sends the main process right behind the set-up description, before the sandbox is ready: sandbox-init
     * starts it as soon as the set-up is done. Whether it started shows in its exit (or {@code awaitStarted}).
     * With {@code rawPipes} its output pipes are left to the caller as descriptors (see OneShot).
     */
    Launched sendMainBeforeReady(ProcessSpec process, boolean rawPipes) {
        mainLaunch = launch(process, true, false, rawPipes);
        return mainLaunch;
    }

    /** The main process as launched, with its stdio (raw descriptors for a one-shot sandbox), or null. */
    Launched mainLaunch() {
        return mainLaunch;
    }

    /** The main process, once one was started ({@link #runMain}, or {@link SandboxRuntime#startWithMain}). */
    public Optional<SandboxProcess> mainProcess() {
        return Optional.ofNullable(mainLaunch).map(Launched::process);
    }

    private SandboxProcess launch(ProcessSpec process, boolean main, boolean awaitStart) {
        return launch(process, main, awaitStart, false).process();
    }

    /** A process just sent to the init, and its stdio (raw pipe ends when asked for). */
    record Launched(SandboxProcess process, StdioSetup stdio) {
    }

    private Launched launch(ProcessSpec process, boolean main, boolean awaitStart, boolean rawPipes) {
        ensureRunning();
        process.user().ifPresent(u -> ids.check("user", u));
        int execId = nextExecId.getAndIncrement();
        SandboxProcess p = new SandboxProcess(this, execId, process.command());
        Message message = ProcessMessages.exec(execId, main, spec, process, ids, seccomp);
        StdioSetup stdio = rawPipes ? StdioSetup.openRaw(process) : StdioSetup.open(process);
        try {
            register(p);
            socket.send(message, stdio.childFds());
        } catch (RuntimeException e) {
            processes.remove(execId);
            stdio.closeParentEnds();
            throw state() == State.RUNNING ? e : notRunning(e);
        } finally {
            stdio.closeChildEnds();
        }
        p.attachStreams(stdio.stdin(), stdio.stdout(), stdio.stderr());
        if (!awaitStart) {
            return new Launched(p, stdio);
        }
        try {
            p.awaitStart();
        } catch (RuntimeException e) {
            processes.remove(execId);
            stdio.closeParentEnds();
            throw e;
        }
        return new Launched(p, stdio);
    }

    /**
     * Adds a process whose exec message is about to be sent. Once the init hung up nothing would complete it, so
     * then it is refused; before, the hang-up completes it (it sees every process registered until then).
     */
    private void register(SandboxProcess p) {
        synchronized (registration) {
            if (connectionGone) {
                throw notRunning(null);
            }
            processes.put(p.execId(), p);
        }
    }

    void signal(int execId, int signal) {
        if (state() == State.RUNNING) {
            try {
                socket.send(Message.of(Protocol.K_SIGNAL).putU32(Protocol.F_EXEC_ID, execId).putU32(Protocol.F_SIGNO, signal));
            } catch (RuntimeException e) {
                if (state() == State.RUNNING) {
                    throw e;
                } // closed or ended meanwhile: everything in it is being killed anyway
            }
        }
    }

    /** The sandbox's user and network namespace files, for a sandbox that shares its network. Caller closes them. */
    synchronized int[] namespaceFds() {
        ensureRunning();
        CompletableFuture<int[]> pending = new CompletableFuture<>();
        namespaces = pending;
        try {
            try {
                socket.send(Message.of(Protocol.K_GET_NAMESPACES));
            } catch (RuntimeException e) {
                throw state() == State.RUNNING ? e : notRunning(e);
            }
            return pending.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SandboxException failed) {
                throw failed;
            }
            throw new SandboxException("get the namespaces of sandbox " + id + " to share its network", e.getCause());
        } catch (TimeoutException e) {
            throw new SandboxException("get the namespaces of sandbox " + id + " to share its network", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while getting the namespaces of sandbox " + id, e);
        } finally {
            namespaces = null;
        }
    }

    IdMapPlan idMapPlan() {
        return ids;
    }

    /**
     * Starts another sandbox in this one's network namespace (and user namespace): they reach each other on
     * 127.0.0.1, as containers of one pod do; everything else (root, processes, hostname) stays separate.
     */
    public Sandbox startSharingNetwork(SandboxSpec other) {
        return runtime.start(other, this);
    }

    /** Sends a signal to every process in the sandbox. */
    public void signalAll(int signal) {
        signal(0, signal);
    }

    /**
     * Graceful stop: SIGTERM to every process, up to {@code grace} for them to exit, then SIGKILL of
     * everything and removal of the sandbox.
     */
    public void stop(Duration grace) {
        if (state() == State.RUNNING) {
            signalAll(Native.SIGTERM);
            long deadline = System.nanoTime() + grace.toNanos();
            for (SandboxProcess p : new ArrayList<>(processes.values())) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || p.waitFor(Duration.ofNanos(left)).isEmpty()) {
                    break;
                }
            }
        }
        close();
    }

    /** Waits until the sandbox ends (its main process exited); the main process's status if it had one. */
    public Optional<ExitStatus> waitFor(Duration timeout) {
        try {
            ended.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new SandboxException("wait for sandbox", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while waiting for sandbox " + id, e);
        }
        return mainProcess().map(SandboxProcess::waitFor);
    }

    /** The sandbox's cgroup directories on the host (one per v1 hierarchy, one on v2), empty without a cgroup. */
    public List<java.nio.file.Path> cgroupDirectories() {
        return cgroup.directories();
    }

    /**
     * Current resource usage; after {@link #close()} the final values, read just before the cgroups were removed
     * (this waits for that removal, which is also how to know it is done). Not available where no cgroup could
     * be made.
     *
     * @throws dev.sandboxed.core.internal.cgroup.CgroupException after close, when the cgroups could not be emptied and
     *                                                   removed (the next runtime to start retries)
     */
    public ResourceUsage usage() {
        CompletableFuture<ResourceUsage> removed = removal;
        if (removed != null) {
            try {
                return removed.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw new dev.sandboxed.core.internal.cgroup.CgroupException("sandbox " + id + " ended, but removing its cgroups"
                        + " failed: " + e.getCause().getMessage(), e.getCause());
            }
        }
        return cgroup.usage(); // also while closing: the cgroups stay until the removal
    }

    /** Completes with the final usage once the cgroups and the state entry are gone; set by close(). */
    private volatile CompletableFuture<ResourceUsage> removal;

    /** Syscalls the seccomp filter refused, by name, with how often (e.g. {@code keyctl=3}). */
    public Map<String, Long> seccompDenials() {
        return denials.byName();
    }

    /**
     * Ends the sandbox: when this returns, every process in it has been killed: its init kills and reaps them all
     * before it hangs up (and, without a pid namespace, whatever escaped the init is killed through the cgroup). Its cgroups (after their final usage is read) and state entry are removed
     * right after, off this thread; {@link #usage()} waits for that, and so does closing the runtime. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (!ended.isDone()) {
                try {
                    socket.send(Message.of(Protocol.K_SHUTDOWN));
                } catch (RuntimeException alreadyGone) {
                    // the init exited meanwhile
                }
                try {
                    ended.get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    Native.kill(initPid, Native.SIGKILL);
                }
            }
            socket.close();
            try {
                readerDone.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!spec.has(dev.sandboxed.core.spec.Namespace.PID)) {
                // Without its own pid namespace, what the init's children left running (double forks) does not
                // die with it: kill it here, so nothing of the sandbox runs once close() returns.
                cgroup.killAll();
            }
        } finally {
            removal = runtime.removal().remove(id, cgroup, stateEntry);
            onClose.run();
        }
    }

    private void ensureRunning() {
        if (state() != State.RUNNING) {
            throw notRunning(null);
        }
    }

    /** The failure of a use that lost to close() (or to the sandbox's end), whatever part of it failed. */
    private IllegalStateException notRunning(Throwable cause) {
        return new IllegalStateException("sandbox " + id + " is " + state().name().toLowerCase() + "; start a new one", cause);
    }

    private void readLoop() {
        try {
            ControlSocket.Received r;
            while ((r = socket.receive()) != null) {
                handleReceived(r);
            }
        } catch (RuntimeException e) {
            if (!closed.get()) {
                LOG.log(Level.WARNING, "lost the connection to sandbox " + id, e);
            }
        } finally {
            hungUp();
        }
    }

    /** One message from the init, on whichever thread receives for the sandbox. */
    void handleReceived(ControlSocket.Received r) {
        CompletableFuture<int[]> pendingNamespaces = namespaces;
        if (r.message().kind() == Protocol.K_NAMESPACES && pendingNamespaces != null) {
            pendingNamespaces.complete(r.fds());
            return;
        }
        if (r.message().kind() == Protocol.K_NAMESPACES_FAILED && pendingNamespaces != null) {
            Message m = r.message();
            pendingNamespaces.completeExceptionally(
                    new SandboxException(m.string(Protocol.F_STEP, "open the sandbox's namespace files"), m.u32(Protocol.F_ERRNO, 0)));
            return;
        }
        for (int fd : r.fds()) {
            Native.close(fd);
        }
        dispatch(r.message());
    }

    /** The init hung up (or the connection broke): everything still waiting learns the sandbox ended. */
    void hungUp() {
        if (readerDone.getCount() == 0) {
            return;
        }
        ended.complete(null);
        List<SandboxProcess> left;
        synchronized (registration) {
            connectionGone = true;
            left = List.copyOf(processes.values());
        }
        SandboxException late = lateSetupFailure;
        SandboxException gone = late != null ? late
                : new SandboxException("sandbox " + id + " ended during set-up (sandbox-init exited)", 0);
        CompletableFuture<int[]> pendingNamespaces = namespaces;
        if (pendingNamespaces != null) {
            pendingNamespaces.completeExceptionally(gone);
        }
        ExitStatus killed = new ExitStatus(137, java.util.OptionalInt.of(9), ExitReason.SANDBOX_ENDED);
        for (SandboxProcess p : left) {
            p.failedToStartIfPending(gone);
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
                p.failedToStart(new SandboxException(m.string(Protocol.F_STEP, "start process"), m.u32(Protocol.F_ERRNO, 0)));
            });
            case Protocol.K_EXITED -> withProcess(m, p -> {
                processes.remove(p.execId());
                p.exited(oom.classify(ExitStatus.fromWaitStatus(m.u32(Protocol.F_STATUS, 0))));
            });
            case Protocol.K_DENIALS -> {
                for (Message.Field f : m.fields()) {
                    if (f.tag() == Protocol.F_DENIAL) {
                        denials.record(f.u64(0), f.u64(8));
                    }
                }
            }
            default -> LOG.log(Level.DEBUG, "sandbox " + id + ": ignoring message kind " + m.kind());
        }
    }

    private void withProcess(Message m, java.util.function.Consumer<SandboxProcess> action) {
        SandboxProcess p = processes.get(m.u32(Protocol.F_EXEC_ID, -1));
        if (p != null) {
            action.accept(p);
        }
    }

    private static Future<byte[]> drain(InputStream in, Stdio kind) {
        if (!(kind instanceof Stdio.Pipe)) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        return Drainers.submit(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return buf.toByteArray();
            }
        });
    }

    private static byte[] join(Future<byte[]> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            return new byte[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new byte[0];
        }
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to tell: the process may already have exited
        }
    }

    @Override
    public String toString() {
        return "sandbox " + id + " (pid " + initPid + ", " + state().name().toLowerCase() + ")";
    }
}
