package dev.sandboxed.core.internal.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import dev.sandboxed.core.internal.cgroup.CgroupException;
import dev.sandboxed.core.internal.cgroup.CgroupFigures;
import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.egress.EgressLink;
import dev.sandboxed.core.internal.hooks.OciState;
import dev.sandboxed.core.internal.image.ImageUse;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * A sandbox as {@link SandboxStarter} made it: its init's connection, its cgroup and state entry, and what every
 * process started in it needs (id mapping, seccomp filter). Launches processes and takes the sandbox down again.
 */
public final class RunningSandbox {
    private final String id;
    private final SandboxSpec spec;
    private final IdMapPlan ids;
    private final Optional<SeccompFilter> seccomp;
    private final InitConnection connection;
    private final SandboxCgroup cgroup;
    private final StateDirectory.Entry stateEntry;
    private final InitServer.Created init;
    private final int initPid;
    private final boolean clonedByParked;
    private final InitExit initExit;
    private final BackgroundRemoval removal;
    private final PublishedPorts ports;
    private final Optional<RuntimeNetwork.Member> networkMember;
    private final Optional<EgressLink> egress;
    private volatile Launched main;
    /** poststart and poststop hooks that failed, one line each. */
    private final List<String> hookFailures = new CopyOnWriteArrayList<>();
    /** Completes with the final usage once the cgroups and the state entry are gone; set by close(). */
    private volatile CompletableFuture<ResourceUsage> removed;

    RunningSandbox(String id, SandboxSpec spec, IdMapPlan ids, Optional<SeccompFilter> seccomp, InitConnection connection,
            SandboxCgroup cgroup, StateDirectory.Entry stateEntry, InitServer.Created init, BackgroundRemoval removal,
            PublishedPorts ports, Optional<RuntimeNetwork.Member> networkMember, Optional<EgressLink> egress) {
        this.id = id;
        this.spec = spec;
        this.ids = ids;
        this.seccomp = seccomp;
        this.connection = connection;
        this.cgroup = cgroup;
        this.stateEntry = stateEntry;
        this.init = init;
        this.initPid = init.pid();
        this.clonedByParked = init.byParked();
        this.initExit = InitExit.watch(initPid);
        this.removal = removal;
        this.ports = ports;
        this.networkMember = networkMember;
        this.egress = egress;
    }

    /** The egress tool attached to its network namespace, if it has network egress. */
    public Optional<EgressLink> egress() {
        return egress;
    }

    /** The host port a published sandbox port got; IllegalArgumentException naming the published ones otherwise. */
    public int mappedPort(int containerPort, PortMapping.Transport transport) {
        return ports.find(containerPort, transport).hostPort();
    }

    /** The host address a published sandbox port listens on. */
    public String mappedAddress(int containerPort, PortMapping.Transport transport) {
        return ports.find(containerPort, transport).mapping().hostAddress();
    }

    /** Its place on the network it joined, if any. */
    public Optional<RuntimeNetwork.Member> networkMember() {
        return networkMember;
    }

    /** A process just sent to the init, and its stdio (raw pipe ends for a one-shot sandbox's main process). */
    public record Launched(ProcessState state, StdioSetup stdio) {
    }

    public String id() {
        return id;
    }

    public SandboxSpec spec() {
        return spec;
    }

    public IdMapPlan ids() {
        return ids;
    }

    public InitConnection connection() {
        return connection;
    }

    public int initPid() {
        return initPid;
    }

    /** Whether a process parked in its v1 cgroups cloned the init, which then started inside them. */
    public boolean clonedByParked() {
        return clonedByParked;
    }

    public List<Path> cgroupDirectories() {
        return cgroup.directories();
    }

    /** The OCI state its lifecycle hooks get, as created; the state entry's directory stands in for the bundle. */
    OciState hookState() {
        return LifecycleHooks.state(this, stateEntry.directory().toString());
    }

    void reportHookFailures(List<String> failures) {
        hookFailures.addAll(failures);
    }

    /** The poststart and poststop hooks that failed so far (they do not fail the sandbox), one line each. */
    public List<String> hookFailures() {
        return List.copyOf(hookFailures);
    }

    /** The main process, once one was sent. */
    public Optional<Launched> main() {
        return Optional.ofNullable(main);
    }

    /**
     * Sends a process without waiting for its start-up answer: a failure to start completes its exit with the
     * exception (waiting for both answers would cost a second wake-up per exec).
     */
    public Launched launch(ProcessSpec process) {
        return launch(process, ProcessRole.EXTRA, StdioSetup::open);
    }

    /**
     * Sends a process whose stdin, stdout and stderr are {@code fds} (owned here from now on, closed once sent): an
     * exec asked for from outside this JVM, whose caller reads and writes its own descriptors. The same hardening as
     * any process: the spec's user, capabilities, rlimits and seccomp filter.
     */
    public Launched launchPassing(ProcessSpec process, int[] fds) {
        StdioSetup stdio = StdioSetup.passing(fds);
        try {
            return launch(process, ProcessRole.EXTRA, p -> stdio);
        } catch (RuntimeException e) {
            stdio.closeChildEnds();
            throw e;
        }
    }

    /**
     * Runs {@code process} to completion: its output is collected on the calling thread ({@link CallerDrain}), its
     * exit comes through the reader thread. A command that cannot start gives exit code 127 or 126.
     */
    public ExecResult exec(ProcessSpec process, Instant start) {
        return CallerDrain.complete(connection, launch(process, ProcessRole.EXTRA, StdioSetup::openRaw), process, start);
    }

    /** Sends a process and waits until it started; throws the start failure (e.g. command not found). */
    public Launched spawn(ProcessSpec process) {
        Launched l = launch(process);
        try {
            l.state().awaitStart();
        } catch (RuntimeException e) {
            l.stdio().closeParentEnds();
            throw e;
        }
        l.stdio().pumpStreams(process, process.commandLine());
        return l;
    }

    /**
     * Sends the main process: the sandbox ends when it exits. Sent before the sandbox is ready, the init starts it as
     * soon as the set-up is done. Whether it started shows in its exit.
     */
    public Launched launchMain(ProcessSpec process, MainOutput output) {
        Launched l = launch(process, ProcessRole.MAIN,
                output == MainOutput.COLLECT_ON_CALLER ? StdioSetup::openRaw : StdioSetup::open);
        main = l;
        return l;
    }

    private Launched launch(ProcessSpec process, ProcessRole role, Function<ProcessSpec, StdioSetup> stdioFor) {
        connection.ensureRunning();
        process.user().ifPresent(u -> ids.check("user", u));
        StdioSetup stdio = stdioFor.apply(process);
        ProcessState state = connection.send(process.command(),
                execId -> ProcessMessages.exec(execId, role, spec, process, ids, seccomp), stdio);
        return new Launched(state, stdio);
    }

    /**
     * Why this sandbox cannot be kept after its JVM, if it cannot: what it needs from the JVM would end with it.
     */
    public Optional<String> keepAfterJvmRefusal() {
        if (networkMember.isPresent()) {
            return Optional.of("it is on network '" + networkMember.get().network().name() + "', which ends with this JVM");
        }
        if (egress.isPresent()) {
            return Optional.of("its network egress tool ends with this JVM");
        }
        if (!spec.exposedHostPorts().isEmpty()) {
            return Optional.of("this JVM connects the host ports it reaches (exposeHostPorts)");
        }
        return Optional.empty();
    }

    /**
     * Hands the sandbox to a keeper that outlives this JVM (see keeper.c in sandbox-init): the init stops dying with the
     * server, the keeper takes its control socket and the entry's keeper lock, the entry names the keeper as owner and
     * {@code until}, and this JVM lets go of the entry. From then on only {@code sandboxed exec/kill/rm} (through the
     * keeper) and the stale clean-up (after {@code until}) reach it. Returns the keeper's pid.
     *
     * @throws SandboxException when it cannot be handed over: it stays this JVM's, and ends with it
     */
    public int handOver(InitServer server, Instant until) {
        connection.detach();
        int lock = -1;
        int keeper;
        List<Integer> drains = new ArrayList<>();
        try {
            ExecProfile profile = ExecProfile.of(spec, ids, seccomp);
            profile.write(stateEntry.execProfile());
            lock = stateEntry.openKeeperLock();
            drains = OutputPipes.copies(id, connection.outputPipesOfRunning(), OutputPipes.MAX);
            int inKeep = Math.min(drains.size(), Protocol.MAX_FDS - 2);
            Path imageLock = spec.rootfs().isImage() ? ImageUse.lockFile(spec.rootfs().image()).orElse(null) : null;
            int socket = connection.socketFd();
            try {
                int[] fds = new int[2 + inKeep];
                fds[0] = socket;
                fds[1] = lock;
                for (int i = 0; i < inKeep; i++) {
                    fds[2 + i] = drains.get(i);
                }
                // The keeper ends it itself a minute after `until`, should no runtime clean up meanwhile.
                keeper = server.keep(until.getEpochSecond() + 60, profile, imageLock, fds);
            } finally {
                connection.releaseSocketFd();
            }
            OutputPipes.handRest(id, keeper, drains.subList(inKeep, drains.size()));
        } catch (RuntimeException e) {
            connection.startReader(); // still this JVM's
            throw e;
        } finally {
            Native.close(lock);
            drains.forEach(Native::close);
        }
        stateEntry.write(stateEntry.read().keptBy(keeper, SandboxStarter.startTime(keeper), until,
                main().map(m -> m.state().command()).orElse(null), CgroupFigures.limits(spec.limits()),
                LifecycleHooks.poststop(spec, hookState().withStatus(OciState.Status.STOPPED)).orElse(null)));
        stateEntry.release(); // the keeper's lock keeps the stale clean-up away now
        initExit.close();
        connection.handedOver("kept after its JVM by keeper " + keeper);
        return keeper;
    }

    /**
     * Current resource usage; after {@link #close} the final values, waiting for the removal.
     *
     * @throws CgroupException after close, when the cgroups could not be emptied and removed
     */
    public ResourceUsage usage() {
        CompletableFuture<ResourceUsage> done = removed;
        if (done != null) {
            try {
                return done.join();
            } catch (CompletionException e) {
                throw new CgroupException("sandbox " + id + " ended, but removing its cgroups"
                        + " failed: " + e.getCause().getMessage(), e.getCause());
            }
        }
        return cgroup.usage(); // also while closing: the cgroups stay until the removal
    }

    /**
     * Ends the sandbox: every process in it is killed when this returns (without a pid namespace, what escaped the
     * init is killed through the cgroup); its cgroups and state entry are removed right after, in the background.
     * The first call runs {@code afterwards} at its end, whatever happened; later calls do nothing.
     */
    public void close(Runnable afterwards) {
        if (!connection.beginClose()) {
            return;
        }
        try {
            connection.shutDown(init::kill);
            if (!initExit.await(Duration.ofSeconds(5))) {
                init.kill(); // it hung up but does not exit: it must not outlive close()
                initExit.await(Duration.ofSeconds(5));
            }
            if (!spec.has(Namespace.PID)) {
                // Without its own pid namespace, what the init's children left running (double forks) does not
                // die with it: kill it here, so nothing of the sandbox runs once close() returns.
                cgroup.killAll();
            }
        } finally {
            initExit.close();
            egress.ifPresent(EgressLink::close); // after the init: nothing inside sends through it any more
            networkMember.ifPresent(RuntimeNetwork.Member::leave);
            if (spec.rootfs().isImage() && spec.writableLayer().onDisk()) {
                DiskLayers.removeIfPresent(id); // its init is gone, so nothing writes there any more
            }
            removed = removal.remove(id, cgroup, stateEntry);
            try {
                if (!spec.hooks(Hook.Stage.POSTSTOP).isEmpty()) {
                    reportHookFailures(LifecycleHooks.runReported(spec, Hook.Stage.POSTSTOP,
                            hookState().withStatus(OciState.Status.STOPPED)));
                }
            } finally {
                afterwards.run();
            }
        }
    }
}
