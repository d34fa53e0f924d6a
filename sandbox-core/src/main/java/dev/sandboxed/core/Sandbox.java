package dev.sandboxed.core;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.sandboxed.core.internal.image.StopSignals;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.runtime.InitConnection;
import dev.sandboxed.core.internal.runtime.MainOutput;
import dev.sandboxed.core.internal.runtime.ProcessState;
import dev.sandboxed.core.internal.runtime.RunningSandbox;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * A running sandbox: fresh namespaces, its own root, limits and a seccomp filter, with sandbox-init as
 * PID 1. Run processes in it with {@link #exec} (to completion) or {@link #spawn} (in the background),
 * from any thread. {@link #close()} kills everything in it and removes every trace; it is idempotent.
 * The blocking calls ({@link #start}, {@link #run}, {@link #exec}, {@link #waitFor}) answer {@link Thread#interrupt()}:
 * they kill what they started, set the interrupt flag again and throw
 * {@link dev.sandboxed.core.result.SandboxInterruptedException} (its cause an {@link InterruptedException}).
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
 *     ExecResult r = sandbox.exec("sh", "-c", "echo hello");
 * }
 * }</pre>
 */
public final class Sandbox implements AutoCloseable {
    /** Lifecycle of a sandbox. */
    public enum State { RUNNING, ENDED, CLOSED }

    private final RunningSandbox running;
    private final InitConnection connection;
    private final SandboxRuntime runtime;
    private final Runnable onClose;
    private volatile SandboxProcess main;
    private volatile boolean kept;
    /** Why {@link #keep()} could not hand it to a keeper (the runtime's log line says it too); null otherwise. */
    private volatile String handOverFailure;

    Sandbox(RunningSandbox running, SandboxRuntime runtime, Runnable onClose) {
        this.running = running;
        this.connection = running.connection();
        this.runtime = runtime;
        this.onClose = onClose;
        running.main().ifPresent(l -> main = new SandboxProcess(this, l));
    }

    /** Starts a sandbox with the shared runtime (configured from {@code sandboxed.*} system properties). */
    public static Sandbox start(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return SandboxRuntime.shared().start(spec);
    }

    /** The sandbox as the runtime's internals know it. */
    RunningSandbox running() {
        return running;
    }

    /**
     * The sandbox id, which {@code sandboxed ps} lists and {@code sandboxed exec} takes: also the name of its state
     * entry; its cgroup, when it has one (resource limits or usage tracking), is {@code sandboxed-<id>} below the
     * cgroup parent.
     */
    public String id() {
        return running.id();
    }

    public SandboxSpec spec() {
        return running.spec();
    }

    /** The host pid of the sandbox's init (PID 1 inside). */
    public int pid() {
        return running.initPid();
    }

    /** Its address on the network it joined ({@code SandboxSpec.Builder.joinNetwork}), e.g. {@code 10.89.1.2}. */
    public Optional<String> address() {
        return running.networkMember().map(m -> m.address());
    }

    public State state() {
        if (connection.isClosed()) {
            return State.CLOSED;
        }
        return connection.ended().isDone() ? State.ENDED : State.RUNNING;
    }

    /** Runs a command to completion with the spec's defaults. */
    public ExecResult exec(String... command) {
        Objects.requireNonNull(command, "command");
        return exec(ProcessSpec.of(command));
    }

    /**
     * Runs a process to completion, collecting its output. On timeout the process is killed and the
     * result's reason is {@link ExitReason#TIMED_OUT}. A command that fails does not throw, nor does one that cannot
     * start: its result has exit code 127 ({@link ExitReason#NOT_FOUND}) or 126 ({@link ExitReason#NOT_EXECUTABLE}),
     * as a shell gives, and the failed step with its errno in stderr, e.g.
     * {@code sandboxed: execute foo: No such file or directory (ENOENT)}.
     */
    public ExecResult exec(ProcessSpec process) {
        Objects.requireNonNull(process, "process");
        Instant start = Instant.now();
        return running.exec(process, start);
    }

    /**
     * Runs one process in a fresh sandbox, to completion, and removes the sandbox: a one-shot sandbox, as
     * {@code bwrap ... CMD} or {@code sandboxed run} give. Quicker than {@code start} plus {@code exec}: the
     * process goes to sandbox-init with the set-up (or to the one set up ahead after the last run of the spec, see
     * {@link SandboxRuntime#run}), and the sandbox ends with it. A command that cannot start gives
     * a result with exit code 127 or 126, as {@link #exec(ProcessSpec)} does; a sandbox that cannot start throws.
     */
    public static ExecResult run(SandboxSpec spec, ProcessSpec process) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(process, "process");
        return SandboxRuntime.shared().run(spec, process);
    }

    /** Starts a process in the background. Piped streams must be read (or closed) by the caller. */
    public SandboxProcess spawn(ProcessSpec process) {
        Objects.requireNonNull(process, "process");
        return new SandboxProcess(this, running.spawn(process));
    }

    /**
     * Starts the sandbox's main process: when it exits, the sandbox ends with its status, as a
     * container does with its entrypoint. Used by {@code sandboxed run}.
     */
    public SandboxProcess runMain(ProcessSpec process) {
        Objects.requireNonNull(process, "process");
        RunningSandbox.Launched launched = running.launchMain(process, MainOutput.PIPES_TO_READER);
        try {
            launched.state().awaitStart();
        } catch (RuntimeException e) {
            launched.stdio().closeParentEnds();
            throw e;
        }
        main = new SandboxProcess(this, launched);
        return main;
    }

    /** Its main process was sent after it was set up (to a sandbox set up ahead for a run). */
    void mainSent() {
        running.main().ifPresent(l -> main = new SandboxProcess(this, l));
    }

    /** The main process, once one was started ({@link #runMain}, or {@link SandboxRuntime#startWithMain}). */
    public Optional<SandboxProcess> mainProcess() {
        return Optional.ofNullable(main);
    }

    void signal(ProcessState process, int signal) {
        connection.signal(process.execId(), signal);
    }

    /**
     * Starts another sandbox in this one's network namespace (and user namespace): they reach each other on
     * 127.0.0.1, as containers of one pod do; everything else (root, processes, hostname) stays separate.
     */
    public Sandbox startSharingNetwork(SandboxSpec other) {
        Objects.requireNonNull(other, "other");
        return runtime.start(other, this);
    }

    /**
     * The host port that TCP port {@code containerPort} of the sandbox is published on ({@link SandboxSpec.Builder#publish}).
     *
     * @throws IllegalArgumentException when that port is not published (the message names the published ones)
     */
    public int mappedPort(int containerPort) {
        return mappedPort(containerPort, PortMapping.Transport.TCP);
    }

    /** The host port that {@code containerPort} over {@code transport} is published on. */
    public int mappedPort(int containerPort, PortMapping.Transport transport) {
        return running.mappedPort(containerPort, Objects.requireNonNull(transport, "transport"));
    }

    /**
     * The host address the published ports listen on: 127.0.0.1 unless the first mapping asked for another loopback
     * address ({@link PortMapping#withHostAddress}).
     */
    public String host() {
        return spec().publishedPorts().stream().findFirst().map(PortMapping::hostAddress).orElse("127.0.0.1");
    }

    /**
     * The host address TCP port {@code containerPort} is published on: mappings may use different loopback
     * addresses, and {@link #host()} names only the first one's.
     *
     * @throws IllegalArgumentException when that port is not published (the message names the published ones)
     */
    public String host(int containerPort) {
        return running.mappedAddress(containerPort, PortMapping.Transport.TCP);
    }

    /**
     * Marks the sandbox as kept for inspection (the JUnit extension's {@code cleanup = ON_SUCCESS/NEVER} after a
     * failure): {@code sandboxed ps} lists it as kept and {@code sandboxed rm ID} may close it. It still closes with its
     * runtime (at the latest when the JVM exits), unless the runtime's {@link RuntimeConfig#keepAfterJvm()} is set:
     * then a keeper process takes it over, and it outlives this JVM until {@code sandboxed rm ID} or the stale
     * clean-up after {@link RuntimeConfig#keepMaxAge()}; from here it is then {@link State#CLOSED}.
     */
    public void keep() {
        if (!kept) {
            kept = true;
            handOverFailure = runtime.keepAfterJvm(this, onClose).orElse(null);
        }
    }

    /**
     * Why {@link #keep()} does not (or did not) hand this sandbox to a keeper although its runtime keeps sandboxes
     * after the JVM ({@link RuntimeConfig#keepAfterJvm()}): it is on a runtime network, has egress or exposed host
     * ports, or the hand-over failed; it then ends with this JVM. Empty when it can be kept after the JVM, and when the
     * runtime does not keep sandboxes after the JVM.
     */
    public Optional<String> keepAfterJvmRefusal() {
        String failure = handOverFailure;
        if (failure != null) {
            return Optional.of(failure);
        }
        return runtime.keepsAfterJvm() && state() == State.RUNNING ? running.keepAfterJvmRefusal() : Optional.empty();
    }

    /** Whether {@link #keep()} was called. */
    public boolean isKept() {
        return kept;
    }

    /** Sends a signal to every process in the sandbox. */
    public void signalAll(int signal) {
        connection.signal(0, signal);
    }

    /**
     * Graceful stop: SIGTERM (or the image's StopSignal, as Docker sends it) to every process, up to {@code grace} for
     * them to exit, then SIGKILL of everything and removal of the sandbox.
     */
    public void stop(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        if (state() == State.RUNNING) {
            signalAll(stopSignal());
            long deadline = System.nanoTime() + grace.toNanos();
            for (ProcessState p : connection.processes()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || p.waitFor(Duration.ofNanos(left)).isEmpty()) {
                    break;
                }
            }
        }
        close();
    }

    /** SIGTERM, or the image's StopSignal when it names a signal (an unknown name is logged and SIGTERM sent). */
    private int stopSignal() {
        if (!spec().rootfs().isImage() || spec().rootfs().image().config().stopSignal().isBlank()) {
            return Native.SIGTERM;
        }
        String name = spec().rootfs().image().config().stopSignal();
        OptionalInt signal = StopSignals.parse(name);
        if (signal.isEmpty()) {
            System.getLogger(Sandbox.class.getName()).log(System.Logger.Level.WARNING, "image "
                    + spec().rootfs().image().source() + " has StopSignal '" + name + "', which names no signal; sending SIGTERM");
        }
        return signal.orElse(Native.SIGTERM);
    }

    /** Waits until the sandbox ends (its main process exited); the main process's status if it had one. */
    public Optional<ExitStatus> waitFor(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        try {
            connection.ended().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new SandboxException("wait for sandbox", e.getCause());
        } catch (InterruptedException e) {
            throw SandboxInterruptedException.restoringFlag("interrupted while waiting for sandbox " + id(), e);
        }
        return mainProcess().map(SandboxProcess::waitFor);
    }

    /** The sandbox's cgroup directories on the host (one per v1 hierarchy, one on v2), empty without a cgroup. */
    public List<Path> cgroupDirectories() {
        return running.cgroupDirectories();
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
        return running.usage();
    }

    /**
     * The poststart and poststop hooks of its spec that failed (they do not fail the sandbox), one line each naming
     * the stage, path, exit status or timeout and the tail of the hook's output; poststop ones once closed.
     */
    public List<String> hookFailures() {
        return running.hookFailures();
    }

    /** Syscalls the seccomp filter refused, by name, with how often (e.g. {@code keyctl=3}). */
    public Map<String, Long> seccompDenials() {
        return connection.denials();
    }

    /**
     * Ends the sandbox: when this returns, every process in it has been killed: its init kills and reaps them all
     * before it hangs up (and, without a pid namespace, whatever escaped the init is killed through the cgroup). Its cgroups (after their final usage is read) and state entry are removed
     * right after, off this thread; {@link #usage()} waits for that, and so does closing the runtime. Idempotent.
     */
    @Override
    public void close() {
        running.close(onClose);
    }

    @Override
    public String toString() {
        return "sandbox " + id() + " (pid " + pid() + ", " + state().name().toLowerCase() + ")";
    }
}
