package dev.sandboxed.core;


import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.cgroup.CgroupConfig;
import dev.sandboxed.core.internal.cgroup.CgroupManager;
import dev.sandboxed.core.internal.control.ControlServer;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.image.ImageUse;
import dev.sandboxed.core.internal.runtime.BackgroundRemoval;
import dev.sandboxed.core.internal.runtime.CgroupPool;
import dev.sandboxed.core.internal.runtime.InitServer;
import dev.sandboxed.core.internal.runtime.MainOutput;
import dev.sandboxed.core.internal.runtime.OneShot;
import dev.sandboxed.core.internal.runtime.PreparedFreshness;
import dev.sandboxed.core.internal.runtime.PrestartOptOut;
import dev.sandboxed.core.internal.runtime.Prestarted;
import dev.sandboxed.core.internal.runtime.RepeatedSpecs;
import dev.sandboxed.core.internal.runtime.RunningSandbox;
import dev.sandboxed.core.internal.runtime.RuntimeNetwork;
import dev.sandboxed.core.internal.runtime.SandboxStarter;
import dev.sandboxed.core.internal.runtime.StaleSandboxes;
import dev.sandboxed.core.internal.runtime.StartRequest;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.NetworkJoin;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/**
 * Starts sandboxes: turns a spec into a complete set-up description for sandbox-init, with its cgroup
 * and state directory, and keeps track of the sandboxes this JVM owns. One per JVM is usual
 * ({@link #shared()}); it starts the sandbox-init server on first use and removes what dead JVMs left.
 */
public final class SandboxRuntime implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SandboxRuntime.class.getName());
    private static volatile SandboxRuntime shared;

    private final RuntimeConfig config;
    private final StateDirectory stateDirectory;
    private final CgroupManager cgroups;
    private final Set<Sandbox> open = ConcurrentHashMap.newKeySet();
    /** The open networks by name; a closed one's name is kept (mapped to it) so joining it says it is closed. */
    private final Map<String, Network> networks = new ConcurrentHashMap<>();
    /** Sandboxes started ahead for {@link #start}: listed for operations once taken, so nothing runs in them before. */
    private final Prestarted<Sandbox> prestarted = new Prestarted<>("sandboxed-prestart",
            spec -> newSandbox(StartRequest.of(spec), false), PreparedFreshness::before,
            s -> s.state() == Sandbox.State.RUNNING, Sandbox::close, Prestarted.MAX_AGE);
    private final AtomicInteger startsInFlight = new AtomicInteger();
    /** Prestarting begins at a spec's second start. */
    private final RepeatedSpecs startedSpecs = new RepeatedSpecs();
    /** Sandboxes set up ahead for {@link #run}: no reader thread, their process sent when a run takes them. */
    private final Prestarted<Sandbox> preparedRuns = new Prestarted<>("sandboxed-prepare-run",
            spec -> newSandbox(StartRequest.preparedForRun(spec), false), PreparedFreshness::before,
            s -> OneShot.stillAsPrepared(s.running()),
            s -> {
                OneShot.release(s.running());
                s.close();
            }, Prestarted.MAX_AGE);
    private final AtomicInteger runsInFlight = new AtomicInteger();
    private final BackgroundRemoval removal = new BackgroundRemoval();
    private final SandboxStarter starter;
    private final CgroupPool cgroupPool;
    private InitServer server;
    private volatile boolean operationsFailed;
    /** Closes the runtime at JVM exit if nobody did: its cgroups made ahead and pending removals must not stay. */
    private final Thread closeAtExit = new Thread(this::close, "sandboxed-shutdown");

    private SandboxRuntime(RuntimeConfig config) {
        this(config, detectCgroups(config));
    }

    /** With a given cgroup manager: for tests that aim the runtime at a particular cgroup hierarchy. */
    SandboxRuntime(RuntimeConfig config, CgroupManager cgroups) {
        this.config = config;
        this.stateDirectory = StateDirectory.forCurrentUser(config.stateDirectory(), OwnIds.uid());
        this.cgroups = cgroups;
        this.starter = new SandboxStarter(stateDirectory, cgroups, config.cgroupPool(), this::server, removal);
        this.cgroupPool = starter.cgroupPool();
        int removed = stateDirectory.removeAbandoned(StaleSandboxes::clean);
        if (removed > 0) {
            LOG.log(Level.INFO, "removed {0} sandbox(es) left by JVMs that died", removed);
        }
        try {
            Runtime.getRuntime().addShutdownHook(closeAtExit);
        } catch (IllegalStateException exiting) {
            // made during JVM exit (by another hook): whoever made it closes it
        }
    }

    private static CgroupManager detectCgroups(RuntimeConfig config) {
        CgroupConfig.Builder cg = CgroupConfig.builder().preferV2(config.cgroupV2());
        config.cgroupParent().ifPresent(cg::parent);
        return CgroupManager.detect(cg.build());
    }

    /** The JVM-wide runtime, configured from system properties; closed when the JVM exits (as every runtime is). */
    public static SandboxRuntime shared() {
        SandboxRuntime r = shared;
        if (r == null) {
            synchronized (SandboxRuntime.class) {
                r = shared;
                if (r == null) {
                    r = create(RuntimeConfig.fromSystemProperties());
                    shared = r;
                }
            }
        }
        return r;
    }

    public static SandboxRuntime create(RuntimeConfig config) {
        Objects.requireNonNull(config, "config");
        return new SandboxRuntime(config);
    }

    public RuntimeConfig config() {
        return config;
    }

    CgroupManager cgroups() {
        return cgroups;
    }

    StateDirectory stateDirectory() {
        return stateDirectory;
    }

    /**
     * Why sandboxes of this runtime cannot have {@code limits} on this host, with the fix (for example a cgroup
     * to delegate); empty when they can. Nothing is created to find out.
     *
     * @throws dev.sandboxed.core.spec.SpecException when a limit is invalid on any host
     */
    public Optional<String> limitsUnsupported(ResourceLimits limits) {
        Objects.requireNonNull(limits, "limits");
        CheckResult check = cgroups.check(limits);
        if (check.status() != CheckResult.Status.FAIL) {
            return Optional.empty();
        }
        return Optional.of(check.detail() + (check.fix().isEmpty() ? "" : "; fix: " + check.fix()));
    }

    /** The cgroup version sandboxes of this runtime get: "v2", "v1" (also on hybrid hosts) or "none". */
    public String cgroupVersion() {
        return cgroups.version();
    }

    /** Sandboxes started here and not yet closed. */
    public Set<Sandbox> openSandboxes() {
        return Set.copyOf(open);
    }

    /**
     * Makes a network that sandboxes of this runtime join by {@code name} (see {@link Network}). The name is free
     * again once the network is closed; the runtime's close closes it too.
     *
     * @throws dev.sandboxed.core.spec.SpecException for a name that is not a network name, or one in use
     */
    public Network createNetwork(String name) {
        NetworkJoin.checkName(name);
        synchronized (networks) {
            Network existing = networks.get(name);
            if (existing != null && !existing.isClosed()) {
                throw new SpecException("network", "a network named '" + name + "' is open already in this runtime");
            }
            Network network = new Network(RuntimeNetwork.create(name, server(), stateDirectory), this);
            networks.put(name, network);
            return network;
        }
    }

    /** The open network named {@code name}, if any. */
    public Optional<Network> network(String name) {
        return Optional.ofNullable(networks.get(name)).filter(n -> !n.isClosed());
    }

    /** Closes the sandboxes on {@code network} (a start racing the close fails), then the network. */
    void closeNetwork(Network network) {
        network.internal().close();
    }

    /** The request for a spec that joins a network: the network it names, which must be open. */
    private StartRequest withNetwork(StartRequest request) {
        Optional<NetworkJoin> join = request.spec().joinedNetwork();
        if (join.isEmpty()) {
            return request;
        }
        Network network = networks.get(join.get().network());
        if (network == null) {
            throw new SpecException("network", "no network named '" + join.get().network() + "' in this runtime; make it"
                    + " first with SandboxRuntime.createNetwork(\"" + join.get().network() + "\")");
        }
        if (network.isClosed()) {
            throw new SpecException("network", "network '" + join.get().network() + "' is closed and takes no new members");
        }
        return request.onNetwork(network.internal());
    }

    /**
     * Starts a sandbox. Everything that can be checked is checked before anything is created on the host;
     * a failure afterwards removes what was created and names the step and errno.
     */
    public Sandbox start(SandboxSpec spec) {
        return start(spec, null);
    }

    /**
     * Starts a sandbox that shares the network (and user) namespace of {@code networkOwner}, or its own when
     * {@code networkOwner} is null.
     */
    public Sandbox start(SandboxSpec spec, Sandbox networkOwner) {
        Objects.requireNonNull(spec, "spec");
        if (networkOwner != null) {
            return startTracked(StartRequest.sharingNetworkOf(spec, networkOwner.running()));
        }
        if (!config.prestart() || !canPrepareAhead(spec) || PrestartOptOut.active()) {
            return startTracked(StartRequest.of(spec));
        }
        // Alone, a start waits for the set-up under way; beside other starts it starts its own at once (that one
        // would go to one of them, and waiting serialises them behind one background thread).
        boolean alone = startsInFlight.getAndIncrement() == 0;
        Sandbox sandbox;
        try {
            sandbox = takePrestarted(spec, alone);
            if (sandbox == null) {
                sandbox = newSandbox(StartRequest.of(spec));
            }
        } finally {
            startsInFlight.decrementAndGet();
        }
        open.add(sandbox);
        if (startedSpecs.startedBefore(spec)) {
            prestarted.prepare(spec); // only for specs that just started fine
        }
        return sandbox;
    }

    /** A prestarted sandbox of {@code spec}, listed for operations from now on; null when none is ready and fit. */
    private Sandbox takePrestarted(SandboxSpec spec, boolean waitForPending) {
        interruptedStart(); // as a start of its own would: a ready one must not hide it
        Sandbox sandbox = prestarted.take(spec, waitForPending);
        if (sandbox == null) {
            return null;
        }
        if (Thread.currentThread().isInterrupted()) { // it came while waiting for the one under way
            sandbox.close();
            interruptedStart();
        }
        listForOperations(sandbox);
        return sandbox;
    }

    private static void interruptedStart() {
        if (Thread.currentThread().isInterrupted()) {
            throw new SandboxInterruptedException("interrupted before starting a sandbox", new InterruptedException());
        }
    }

    /**
     * Starts a sandbox whose main process is {@code main}: the process description follows the set-up
     * description at once, so sandbox-init starts it as soon as the sandbox is ready, without a round trip
     * through Java. The sandbox ends when its main process exits; get it from {@link Sandbox#mainProcess()}.
     * A main process that cannot start shows as the failure of its {@code awaitStarted}, and as exit code 127
     * ({@code NOT_FOUND}) or 126 ({@code NOT_EXECUTABLE}) from its {@code waitFor}.
     */
    public Sandbox startWithMain(SandboxSpec spec, ProcessSpec main) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(main, "main");
        return startTracked(StartRequest.withMain(spec, main, MainOutput.PIPES_TO_READER));
    }

    /**
     * Runs one process in a fresh sandbox to completion and removes the sandbox; see {@link Sandbox#run}. The
     * calling thread collects the output and the init's messages itself, in one poll loop. With
     * {@code sandboxed.run.prepareAhead} (the default) the next sandbox of the spec is set up once this returns,
     * and the next run of the spec sends its process there (a fresh sandbox still: nothing ran in it).
     */
    public ExecResult run(SandboxSpec spec, ProcessSpec process) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(process, "process");
        Instant start = Instant.now();
        boolean prepare = config.prepareRuns() && canPrepareAhead(spec);
        // Alone, a run waits for the set-up under way; beside other runs it starts its own at once (that one would
        // go to one of them, and waiting serialises them behind one background thread).
        boolean alone = runsInFlight.getAndIncrement() == 0;
        Sandbox sandbox;
        try {
            sandbox = prepare ? takePrepared(spec, process, alone) : null;
            if (sandbox == null) {
                sandbox = startTracked(StartRequest.withMain(spec, process, MainOutput.COLLECT_ON_CALLER));
            }
        } catch (RuntimeException | Error e) {
            runsInFlight.decrementAndGet();
            throw e;
        }
        try (Sandbox oneShot = sandbox) {
            return OneShot.collect(oneShot.running(), process, start);
        } finally {
            runsInFlight.decrementAndGet();
            if (prepare) {
                // Only for a spec that just started fine; after the run, so its set-up does not compete with it.
                preparedRuns.prepare(spec);
            }
        }
    }

    /**
     * Whether the next sandbox of {@code spec} may be set up ahead (for a start or a run): one started ahead would
     * hold host ports meanwhile (a fixed one cannot be held twice), a network member's address is given when it
     * starts, lifecycle hooks run when the caller starts it, an image root would stay in use (kept from prunes)
     * while it waits, egress runs its network helper from the set-up on with the host's DNS settings then, and
     * exposed host ports copy the host's /etc/hosts then.
     */
    private static boolean canPrepareAhead(SandboxSpec spec) {
        return spec.publishedPorts().isEmpty() && spec.joinedNetwork().isEmpty() && spec.hooks().isEmpty()
                && !spec.rootfs().isImage() && spec.network() != NetworkMode.EGRESS
                && spec.exposedHostPorts().isEmpty();
    }

    /**
     * A sandbox set up ahead for {@code spec}, {@code process} sent to it as its main process; null when none is
     * ready and fit, or its init went between the check and the send (the run then starts its own).
     */
    private Sandbox takePrepared(SandboxSpec spec, ProcessSpec process, boolean waitForPending) {
        Sandbox prepared = preparedRuns.take(spec, waitForPending);
        if (prepared == null) {
            return null;
        }
        open.add(prepared);
        try {
            OneShot.sendMain(prepared.running(), process);
        } catch (SpecException | Error e) {
            prepared.close();
            throw e; // a fresh start refuses the same process before anything is created
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "a sandbox set up ahead ended before its process was sent; starting another", e);
            prepared.close();
            return null;
        }
        prepared.mainSent();
        listForOperations(prepared);
        return prepared;
    }

    /** Makes a sandbox set up ahead reachable by {@code sandboxed ps/exec/...} once a caller took it. */
    private void listForOperations(Sandbox taken) {
        operations().ifPresent(o -> {
            o.register(new SandboxControl(taken));
            if (taken.state() == Sandbox.State.CLOSED) {
                o.unregister(taken.id()); // the runtime's close got there first, and its unregister before this
            }
        });
    }

    /** How many starts took a prestarted sandbox (for tests). */
    long prestartsTaken() {
        return prestarted.handedOut();
    }

    /** The prestarted sandboxes, ready now (for tests). */
    List<Sandbox> prestartedNow() {
        return prestarted.readyNow();
    }

    /** How many runs took a sandbox set up ahead (for tests). */
    long preparedRunsTaken() {
        return preparedRuns.handedOut();
    }

    /** The sandboxes set up ahead for runs, ready now (for tests). */
    List<Sandbox> preparedForRuns() {
        return preparedRuns.readyNow();
    }

    /** A new sandbox, tracked in {@link #openSandboxes()}. */
    private Sandbox startTracked(StartRequest request) {
        Sandbox sandbox = newSandbox(request);
        open.add(sandbox);
        return sandbox;
    }

    /** A new sandbox; it is tracked in {@link #openSandboxes()} once handed out. */
    private Sandbox newSandbox(StartRequest request) {
        return newSandbox(request, true);
    }

    /**
     * A new sandbox; {@code listed}: reachable by {@code sandboxed ps/exec/...} from now on (one set up ahead for a
     * run is listed once a run takes it: nobody reads its socket before).
     */
    private Sandbox newSandbox(StartRequest request, boolean listed) {
        // An image in use is kept from prunes, in every JVM, from before its layers are mounted until the sandbox ends.
        Optional<Image> image = request.spec().rootfs().isImage() ? Optional.of(request.spec().rootfs().image())
                : Optional.empty();
        image.ifPresent(ImageUse::started);
        RunningSandbox running;
        StartRequest onNetwork = null;
        try {
            onNetwork = withNetwork(request);
            running = starter.start(onNetwork);
        } catch (RuntimeException | Error e) {
            image.ifPresent(ImageUse::ended);
            Optional<RuntimeNetwork> network = onNetwork == null ? Optional.empty() : onNetwork.network();
            if (network.isPresent() && network.get().isClosed() && e instanceof RuntimeException) {
                throw network.get().closedWhileStarting(e); // whichever step the close cut short
            }
            throw e;
        }
        String id = running.id();
        Optional<ControlServer> operations = operations();
        Sandbox sandbox = new Sandbox(running, this, () -> {
            operations.ifPresent(o -> o.unregister(id));
            open.removeIf(s -> s.id().equals(id));
            image.ifPresent(ImageUse::ended);
        });
        Optional<RuntimeNetwork.Member> member = running.networkMember();
        if (member.isPresent() && !member.get().admit(sandbox::close)) {
            sandbox.close();
            throw member.get().network().closedWhileStarting(null);
        }
        if (listed) {
            operations.ifPresent(o -> o.register(new SandboxControl(sandbox)));
        }
        return sandbox;
    }

    /**
     * This JVM's operations socket ({@code sandboxed ps/exec/...}), listening from the first
     * sandbox on; empty (with one warning) where it cannot be made: sandboxes work without it.
     */
    private Optional<ControlServer> operations() {
        if (operationsFailed) {
            return Optional.empty();
        }
        try {
            return Optional.of(ControlServer.shared());
        } catch (RuntimeException e) {
            operationsFailed = true;
            LOG.log(Level.WARNING, "sandboxes of this JVM cannot be reached by `sandboxed ps/exec`: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * With {@code sandboxed.keep.afterJvm}: hands a sandbox just kept to a keeper that outlives this JVM (it leaves
     * this runtime then). One that cannot be handed over stays kept until this JVM exits, as it would without the
     * setting, and one line says why; that reason is returned.
     */
    Optional<String> keepAfterJvm(Sandbox sandbox, Runnable leave) {
        if (!config.keepAfterJvm() || sandbox.state() != Sandbox.State.RUNNING) {
            return Optional.empty();
        }
        RunningSandbox running = sandbox.running();
        Optional<String> refusal = running.keepAfterJvmRefusal();
        if (refusal.isPresent()) {
            LOG.log(Level.WARNING, "sandbox " + sandbox.id() + " is kept until this JVM exits, not after it ("
                    + RuntimeConfig.KEEP_AFTER_JVM_PROPERTY + "): " + refusal.get());
            return refusal;
        }
        Instant until = Instant.now().plus(config.keepMaxAge());
        try {
            int keeper = running.handOver(server(), until);
            leave.run();
            LOG.log(Level.INFO, "sandbox " + sandbox.id() + " is kept after this JVM by keeper process " + keeper
                    + " until " + until + " (" + RuntimeConfig.KEEP_MAX_AGE_PROPERTY + "); `sandboxed exec " + sandbox.id()
                    + " -- sh` enters it, `sandboxed rm " + sandbox.id() + "` removes it");
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "sandbox " + sandbox.id() + " is kept until this JVM exits, not after it: "
                    + e.getMessage());
            return Optional.of("its hand-over to a keeper failed: " + e.getMessage());
        }
    }

    /** Whether {@link Sandbox#keep()} hands sandboxes to a keeper that outlives this JVM. */
    boolean keepsAfterJvm() {
        return config.keepAfterJvm();
    }

    /** The server; a new one when there is none yet or the last one died (its sandboxes died with it). */
    private synchronized InitServer server() {
        if (server != null && server.hasDied()) {
            server.close();
            server = null;
        }
        if (server == null) {
            server = InitServer.start();
        }
        return server;
    }

    /** The spec summary of a state entry that holds a pooled cgroup, not (yet) a sandbox. */
    static final String POOLED = SandboxStarter.POOLED;

    /** A new sandbox's state entry, its lock held (see {@link SandboxStarter#reserve}). */
    StateDirectory.Entry reserve(String id, boolean recordCgroups, String summary) {
        return starter.reserve(id, recordCgroups, summary);
    }

    /**
     * Waits until the work this runtime does in the background is done: sandboxes being prestarted, cgroups being
     * made ahead, network slots being prepared, and the removal of closed sandboxes (their cgroups and state
     * entries). For tests that check the host is clean and benchmarks that want a quiet machine between measurements.
     * What it made ahead stays (cgroups, and one sandbox for each of the specs started or run again last, up to 30
     * s): only {@link #close()} removes that.
     */
    public void awaitIdle() {
        prestarted.awaitIdle();
        preparedRuns.awaitIdle();
        RuntimeNetwork.awaitSlots();
        cgroupPool.awaitIdle();
        removal.awaitIdle();
    }

    /**
     * Closes every sandbox this runtime started and the sandbox-init server, removes the cgroups made ahead, and
     * waits until everything the sandboxes left on the host is removed.
     */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(closeAtExit);
        } catch (IllegalStateException exiting) {
            // this is the hook running, or another one during exit
        }
        // Outside the lock: a prestart under way needs the server (synchronized) to finish.
        prestarted.close();
        preparedRuns.close();
        cgroupPool.close();
        closeOpenSandboxesAndServer();
        removal.close();
    }

    private void closeNetworks() {
        for (Network network : List.copyOf(networks.values())) {
            try {
                network.internal().close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing " + network + " failed", e);
            }
        }
    }

    private synchronized void closeOpenSandboxesAndServer() {
        for (Sandbox s : List.copyOf(open)) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing " + s + " failed", e);
            }
        }
        closeNetworks();
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
