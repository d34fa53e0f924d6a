package dev.sandboxed.junit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.wait.ReadinessException;
import dev.sandboxed.core.wait.WaitStrategy;

/**
 * A running sandbox that a test talks to: run commands in it to completion ({@link #exec}) or in the background
 * ({@link #start}), put files in and take them out, and read its resource usage. Injected by
 * {@link SandboxedExtension} as a parameter (test method, lifecycle method, constructor) or into a
 * {@link Sandboxed}-annotated field; the extension removes it when its scope ends.
 *
 * <p>For Testcontainers users: {@code execInContainer} is {@link #exec(String...)}, {@code copyFileToContainer} is
 * {@link #copyFileInto(Path, String)} or {@link #writeFile(String, byte[])}, {@code copyFileFromContainer} is
 * {@link #copyFileOut(String, Path)} or {@link #readFile(String)}.
 *
 * <p>Thread-safe: several threads may exec in one container at once.
 */
// CloseableResource is deprecated since JUnit 5.13 (AutoCloseable suffices there); older 5.x versions need it.
@SuppressWarnings("deprecation")
public final class Container implements AutoCloseable, ExtensionContext.Store.CloseableResource {
    private static final int HISTORY = 10;

    private final String name;
    private final Sandbox sandbox;
    private final Optional<Duration> defaultTimeout;
    private final int tailLines;
    private final Runnable releasePermit;
    private final Optional<String> stateDirectory;
    private volatile boolean keptOnFailure;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile List<SandboxCustomizer> callbacks = List.of();
    private volatile Consumer<Container> closeInBackground;
    private final AtomicBoolean permitReleased = new AtomicBoolean();
    private final Deque<ExecResult> history = new ArrayDeque<>();
    private final List<ContainerProcess> processes = new ArrayList<>();
    private volatile ContainerProcess main;
    /** What {@link #awaitReady()} still has to await (null once done), and how it ended if it failed. */
    private WaitStrategy pendingWait;
    private ReadinessException notReady;

    /**
     * @param releasePermit  gives back the {@code sandboxed.maxConcurrent} permit this sandbox holds
     * @param stateDirectory the runtime's {@code sandboxed.state.dir}, if set: {@code sandboxed exec} needs it too
     */
    Container(String name, Sandbox sandbox, Optional<Duration> defaultTimeout, int tailLines, Runnable releasePermit,
            Optional<String> stateDirectory) {
        this.stateDirectory = stateDirectory;
        this.name = name;
        this.sandbox = sandbox;
        this.defaultTimeout = defaultTimeout;
        this.tailLines = tailLines;
        this.releasePermit = releasePermit;
    }

    /** The name this container was declared with ({@code default} unless named). */
    public String name() {
        return name;
    }

    /**
     * The sandbox id, which {@code sandboxed ps} lists and {@code sandboxed exec} takes: also the name of its state
     * entry; its cgroup, when it has one (resource limits or usage tracking), is {@code sandboxed-<id>} below the
     * cgroup parent.
     */
    public String id() {
        return sandbox.id();
    }

    /**
     * The command that enters this container from a terminal while the test run goes on (a kept one, see
     * {@link CleanupMode}): {@code sandboxed exec ID -- sh}, a shell with the container's hardening.
     */
    public String enterCommand() {
        return "sandboxed exec " + stateDirectory.map(d -> "--state-dir " + d + " ").orElse("") + id() + " -- sh";
    }

    /**
     * One line for a kept container: how to enter it; when the run keeps containers after it
     * ({@code sandboxed.keep.afterJvm}) but cannot keep this one, also why it ends with the run.
     */
    String keptHint() {
        return sandbox.keepAfterJvmRefusal()
                .map(why -> "only until this test run ends, not after it (sandboxed.keep.afterJvm): " + why
                        + "; enter it before then with: " + enterCommand())
                .orElse("enter it with: " + enterCommand());
    }

    /** Its cleanup mode keeps it when a test fails: the failure's diagnostics say how to enter it. */
    void keptOnFailure(boolean kept) {
        keptOnFailure = kept;
    }

    boolean isKeptOnFailure() {
        return keptOnFailure;
    }

    /** The host pid of the sandbox's init (PID 1 inside). */
    public int pid() {
        return sandbox.pid();
    }

    public SandboxSpec spec() {
        return sandbox.spec();
    }

    /** The underlying core sandbox, for what this handle does not offer. */
    public Sandbox sandbox() {
        return sandbox;
    }

    /**
     * The host port that TCP port {@code containerPort} of the container is published on ({@link Sandboxed#publish()},
     * {@link Sandboxed#publishAll()}): connect to {@link #host()} on it. Testcontainers' {@code getMappedPort}.
     *
     * @throws IllegalArgumentException when that port is not published (the message names the published ones)
     */
    public int mappedPort(int containerPort) {
        return sandbox.mappedPort(containerPort);
    }

    /** The host port that {@code containerPort} over {@code transport} (TCP or UDP) is published on. */
    public int mappedPort(int containerPort, PortMapping.Transport transport) {
        return sandbox.mappedPort(containerPort, transport);
    }

    /** The host address the published ports listen on: a loopback address, {@code 127.0.0.1} unless asked otherwise. */
    public String host() {
        return sandbox.host();
    }

    /** The host address TCP port {@code containerPort} is published on (mappings may use different ones). */
    public String host(int containerPort) {
        return sandbox.host(containerPort);
    }

    /**
     * {@code http://HOST:MAPPED_PORT/PATH} for a published TCP port, e.g. {@code container.url(8080, "/health")};
     * a path without a leading {@code /} gets one.
     */
    public URI url(int containerPort, String path) {
        String address = host(containerPort);
        String host = address.contains(":") ? "[" + address + "]" : address;
        String p = path == null || path.isEmpty() ? "/" : path.startsWith("/") ? path : "/" + path;
        return URI.create("http://" + host + ":" + mappedPort(containerPort) + p);
    }

    /**
     * The container's main process, started before the test ({@link Sandboxed#start()}, {@link Sandboxed#command()}):
     * its output so far, its state, and waits on it. When it exits the sandbox ends, as a container does.
     *
     * @throws IllegalStateException when the container has no main process
     */
    public ContainerProcess mainProcess() {
        ContainerProcess m = main;
        if (m == null) {
            throw new IllegalStateException(this + " has no main process; set start = true or a command on @Sandboxed");
        }
        return m;
    }

    /**
     * Waits until {@code wait} is met, watching the main process if there is one (its output is what a log-line wait
     * reads; its exit fails the wait at once), else the sandbox. For waits set up in code, e.g. in a
     * {@code @BeforeEach} method, before the test body runs.
     *
     * @throws ReadinessException when it is not met in time, or the main process exits first
     */
    public void await(WaitStrategy wait) {
        ContainerProcess m = main;
        if (m != null) {
            m.await(wait);
        } else {
            wait.awaitOn(sandbox);
        }
    }

    /** Starts the main process; {@code wait} (if any) is awaited by {@link #awaitReady()}. */
    void startMain(ProcessSpec process, Optional<WaitStrategy> wait) {
        main = new ContainerProcess(sandbox, sandbox.runMain(process), tailLines);
        synchronized (this) {
            pendingWait = wait.orElse(null);
        }
    }

    /**
     * Awaits the declared readiness once, whoever asks first: a class-scoped container is awaited by its first test
     * and every later test sees the same outcome, the failure included.
     */
    synchronized void awaitReady() {
        if (notReady != null) {
            throw notReady;
        }
        if (pendingWait != null) {
            WaitStrategy wait = pendingWait;
            pendingWait = null;
            try {
                await(wait);
            } catch (ReadinessException e) {
                notReady = e;
                throw e;
            }
        }
    }

    public boolean isRunning() {
        return sandbox.state() == Sandbox.State.RUNNING;
    }

    /**
     * Runs a command to completion and returns its exit code, reason, stdout, stderr and duration. A failing
     * command does not throw: assert on the result, e.g. with {@link SandboxAssertions#assertThat(ExecResult)}.
     * (Testcontainers: {@code execInContainer}.)
     */
    public ExecResult exec(String... command) {
        return exec(ProcessSpec.of(command));
    }

    /** Runs {@code script} with {@code sh -c}. */
    public ExecResult execShell(String script) {
        return exec("sh", "-c", script);
    }

    /** Runs a process to completion; the container's default timeout applies unless the spec sets one. */
    public ExecResult exec(ProcessSpec process) {
        ExecResult result = sandbox.exec(withDefaults(process));
        remember(result);
        return result;
    }

    /** Starts a command in the background; see {@link ContainerProcess}. Killed when the container is removed. */
    public ContainerProcess start(String... command) {
        return start(ProcessSpec.builder(command).stdin(Stdio.pipe()).build());
    }

    /** Starts {@code script} with {@code sh -c} in the background. */
    public ContainerProcess startShell(String script) {
        return start("sh", "-c", script);
    }

    /**
     * Starts a process in the background. Its stdout and stderr must be pipes (the default) so that they can be
     * collected; the default timeout does not apply to background processes.
     */
    public ContainerProcess start(ProcessSpec process) {
        if (!(process.stdout() instanceof Stdio.Pipe) || !(process.stderr() instanceof Stdio.Pipe)) {
            throw new IllegalArgumentException("a background process needs piped stdout and stderr; use exec for other stdio");
        }
        SandboxProcess p = sandbox.spawn(process);
        ContainerProcess cp = new ContainerProcess(sandbox, p, tailLines);
        synchronized (processes) {
            // Only the latest are kept for diagnostics; closing the sandbox kills all of them anyway.
            processes.add(cp);
            if (processes.size() > HISTORY) {
                processes.remove(0);
            }
        }
        return cp;
    }

    /**
     * Writes {@code content} to {@code path} inside the sandbox, creating parent directories. The path is resolved
     * by a process in the sandbox, so symbolic links cannot lead out of it. (Testcontainers: {@code copyFileToContainer}.)
     *
     * @throws UncheckedIOException when the file cannot be written (e.g. a read-only location)
     */
    public void writeFile(String path, byte[] content) {
        checkPath(path);
        try (InputStream in = new ByteArrayInputStream(content)) {
            writeFile(path, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes UTF-8 text; see {@link #writeFile(String, byte[])}. */
    public void writeString(String path, String content) {
        writeFile(path, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Copies a host file to {@code path} inside the sandbox; see {@link #writeFile(String, byte[])}. */
    public void copyFileInto(Path hostFile, String path) {
        checkPath(path);
        try (InputStream in = Files.newInputStream(hostFile)) {
            writeFile(path, in);
        } catch (IOException e) {
            throw new UncheckedIOException("read " + hostFile, e);
        }
    }

    private void writeFile(String path, InputStream content) throws IOException {
        ProcessSpec spec = ProcessSpec.builder("sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\"", "sandboxed-write", path)
                .stdin(Stdio.pipe()).stdout(Stdio.discard()).build();
        SandboxProcess p = sandbox.spawn(spec);
        CompletableFuture<byte[]> err = drain(p.stderr());
        IOException writeFailure = null;
        try (OutputStream stdin = p.stdin()) {
            content.transferTo(stdin);
        } catch (IOException e) {
            writeFailure = e; // cat exited early; its stderr says why
        }
        ExitStatus status = p.waitFor();
        if (!status.succeeded()) {
            throw new UncheckedIOException(new IOException("cannot write " + path + " in container '" + name + "': "
                    + new String(err.join(), StandardCharsets.UTF_8).strip() + " (" + status + ")", writeFailure));
        }
        if (writeFailure != null) {
            throw writeFailure;
        }
    }

    /**
     * Reads a file inside the sandbox (resolved by a process in it, so links cannot lead out).
     * (Testcontainers: {@code copyFileFromContainer}.)
     *
     * @throws UncheckedIOException when it cannot be read
     */
    public byte[] readFile(String path) {
        checkPath(path);
        ExecResult r = sandbox.exec(ProcessSpec.of("cat", "--", path));
        if (!r.succeeded()) {
            throw new UncheckedIOException(new IOException("cannot read " + path + " in container '" + name + "': "
                    + r.stderr().strip() + " (" + r.status() + ")"));
        }
        return r.stdoutBytes();
    }

    /** Reads a UTF-8 text file; see {@link #readFile(String)}. */
    public String readString(String path) {
        return new String(readFile(path), StandardCharsets.UTF_8);
    }

    /** Copies a file from inside the sandbox to a host file; see {@link #readFile(String)}. */
    public void copyFileOut(String path, Path hostFile) {
        byte[] content = readFile(path);
        try {
            Files.write(hostFile, content);
        } catch (IOException e) {
            throw new UncheckedIOException("write " + hostFile, e);
        }
    }

    /** Whether {@code path} exists inside the sandbox (as a file, directory or dangling link). */
    public boolean exists(String path) {
        checkPath(path);
        return sandbox.exec(ProcessSpec.of("sh", "-c", "test -e \"$1\" || test -L \"$1\"", "sandboxed-exists", path)).succeeded();
    }

    /** Current resource usage; after removal, the final usage. Values are -1 where the host cannot measure them. */
    public ResourceUsage usage() {
        return sandbox.usage();
    }

    /** Syscalls the seccomp filter refused, by name and count. */
    public Map<String, Long> seccompDenials() {
        return sandbox.seccompDenials();
    }

    /**
     * Closes it when its scope ends: off the test's path where {@link #closeInBackground} said how, else now. Its
     * permit is given back once it is closed.
     */
    void closeAtScopeEnd() {
        Consumer<Container> background = closeInBackground;
        if (background != null && !closed.get()) {
            background.accept(this);
        } else {
            close();
        }
    }

    /** Closes it at the end of its scope with {@code closer}, off the test's path (nothing to call back after it). */
    void closeInBackground(Consumer<Container> closer) {
        closeInBackground = closer;
    }

    /** Removes the sandbox: kills every process in it. Idempotent; the extension calls it when the scope ends. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                sandbox.close();
            } finally {
                releasePermit();
            }
            runCallbacks("afterClose", c -> c.afterClose(this));
        }
    }

    /** The customizers whose {@link SandboxCustomizer#afterStart} and afterClose callbacks this container runs. */
    void callbacks(List<SandboxCustomizer> customizers) {
        this.callbacks = List.copyOf(customizers);
    }

    void afterStart() {
        runCallbacks("afterStart", c -> c.afterStart(this));
    }

    private interface Callback {
        void run(SandboxCustomizer customizer) throws Exception;
    }

    /** Every callback runs; the first failure is thrown with the later ones suppressed. */
    private void runCallbacks(String which, Callback callback) {
        RuntimeException failure = null;
        for (SandboxCustomizer c : callbacks) {
            try {
                callback.run(c);
            } catch (Exception e) {
                RuntimeException wrapped = e instanceof RuntimeException r ? r
                        : new IllegalStateException(which + " of " + c.getClass().getName() + " failed: " + e, e);
                if (failure == null) {
                    failure = wrapped;
                } else {
                    failure.addSuppressed(wrapped);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Gives back this sandbox's {@code sandboxed.maxConcurrent} permit and leaves it running: a sandbox kept after
     * its test ({@link CleanupMode}) must not count against the cap, or the next test would wait for it. Idempotent.
     */
    void releasePermit() {
        if (permitReleased.compareAndSet(false, true)) {
            releasePermit.run();
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    int tailLines() {
        return tailLines;
    }

    /** The last exec results, oldest first. */
    List<ExecResult> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    Optional<ContainerProcess> main() {
        return Optional.ofNullable(main);
    }

    List<ContainerProcess> backgroundProcesses() {
        synchronized (processes) {
            return List.copyOf(processes);
        }
    }

    private void remember(ExecResult result) {
        synchronized (history) {
            history.addLast(result);
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
    }

    private ProcessSpec withDefaults(ProcessSpec process) {
        if (process.timeout().isPresent() || defaultTimeout.isEmpty()) {
            return process;
        }
        return process.toBuilder().timeout(defaultTimeout.get()).build();
    }

    private static void checkPath(String path) {
        if (path == null || path.isEmpty() || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path '" + path + "' is empty or contains a NUL byte");
        }
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                result.complete(buf.toByteArray());
            } catch (IOException e) {
                result.complete(new byte[0]);
            }
        }, "sandbox-drain");
        t.setDaemon(true);
        t.start();
        return result;
    }

    @Override
    public String toString() {
        return "container '" + name + "' (" + sandbox + ")";
    }
}
