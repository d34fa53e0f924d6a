package dev.sandboxed.core;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.sandboxed.core.internal.cgroup.CgroupCleaner;
import dev.sandboxed.core.internal.cgroup.CgroupConfig;
import dev.sandboxed.core.internal.cgroup.CgroupManager;
import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.rootfs.MountPlan;
import dev.sandboxed.core.internal.runtime.BackgroundRemoval;
import dev.sandboxed.core.internal.runtime.CgroupPool;
import dev.sandboxed.core.internal.runtime.CreateMessage;
import dev.sandboxed.core.internal.runtime.IdMapPlan;
import dev.sandboxed.core.internal.runtime.InitServer;
import dev.sandboxed.core.internal.runtime.Prestarted;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.internal.seccomp.SeccompFilters;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/**
 * Starts sandboxes: turns a spec into a complete set-up description for sandbox-init, with its cgroup
 * and state directory, and keeps track of the sandboxes this JVM owns. One per JVM is usual
 * ({@link #shared()}); it starts the sandbox-init server on first use and removes what dead JVMs left.
 */
public final class SandboxRuntime implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SandboxRuntime.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile SandboxRuntime shared;

    private final RuntimeConfig config;
    private final StateDirectory stateDirectory;
    private final CgroupManager cgroups;
    private final Set<Sandbox> open = ConcurrentHashMap.newKeySet();
    private final Prestarted<Sandbox> prestarted =
            new Prestarted<>(spec -> startNow(spec, null), s -> s.state() == Sandbox.State.RUNNING);
    private final CgroupPool cgroupPool;
    private final BackgroundRemoval removal = new BackgroundRemoval();
    private InitServer server;
    /** Closes the runtime at JVM exit if nobody did: its cgroups made ahead and pending removals must not stay. */
    private final Thread closeAtExit = new Thread(this::close, "sandboxed-shutdown");

    private SandboxRuntime(RuntimeConfig config) {
        this(config, detectCgroups(config));
    }

    /** With a given cgroup manager: for tests that aim the runtime at a particular cgroup hierarchy. */
    SandboxRuntime(RuntimeConfig config, CgroupManager cgroups) {
        this.config = config;
        this.stateDirectory = StateDirectory.forCurrentUser(config.stateDirectory(), Native.uid());
        this.cgroups = cgroups;
        this.cgroupPool = new CgroupPool(config.cgroupPool(), this::makeCgroupAhead);
        int removed = stateDirectory.removeAbandoned(SandboxRuntime::cleanAbandoned);
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
        CgroupConfig.Builder cg = CgroupConfig.builder();
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
        return new SandboxRuntime(config);
    }

    /**
     * A runtime whose sandboxes get their cgroups from {@code cgroups}, for example a manager detected with a
     * {@link dev.sandboxed.core.internal.cgroup.CgroupConfig} that names another hierarchy (the benchmark measures the
     * cgroup v2 path this way on hybrid hosts).
     */
    public static SandboxRuntime create(RuntimeConfig config, CgroupManager cgroups) {
        return new SandboxRuntime(config, cgroups);
    }

    public RuntimeConfig config() {
        return config;
    }

    public CgroupManager cgroups() {
        return cgroups;
    }

    public StateDirectory stateDirectory() {
        return stateDirectory;
    }

    /** Sandboxes started here and not yet closed. */
    public Set<Sandbox> openSandboxes() {
        return Set.copyOf(open);
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
        boolean prestart = networkOwner == null && config.prestart();
        Sandbox sandbox = prestart ? prestarted.take(spec) : null;
        if (sandbox == null) {
            sandbox = startNow(spec, networkOwner);
        }
        open.add(sandbox);
        if (prestart) {
            prestarted.prepare(spec); // only for specs that just started fine
        }
        return sandbox;
    }

    /**
     * Starts a sandbox whose main process is {@code main}: the process description follows the set-up
     * description at once, so sandbox-init starts it as soon as the sandbox is ready, without a round trip
     * through Java. The sandbox ends when its main process exits; get it from {@link Sandbox#mainProcess()}.
     * A main process that cannot start shows as the failure of its {@code waitFor} or {@code awaitStarted}.
     */
    public Sandbox startWithMain(SandboxSpec spec, ProcessSpec main) {
        if (config.prestart()) {
            Sandbox sandbox = start(spec);
            sandbox.runMain(main);
            return sandbox;
        }
        Sandbox sandbox = startNow(spec, null, main, false);
        open.add(sandbox);
        return sandbox;
    }

    /** Runs one process in a fresh sandbox to completion and removes the sandbox; see {@link Sandbox#run}. */
    public ExecResult run(SandboxSpec spec, ProcessSpec process) {
        Instant start = Instant.now();
        if (config.prestart()) {
            try (Sandbox sandbox = startWithMain(spec, process)) {
                return sandbox.complete(sandbox.mainProcess().orElseThrow(), process, start);
            }
        }
        Sandbox sandbox = startNow(spec, null, process, true);
        open.add(sandbox);
        try (sandbox) {
            return OneShot.collect(sandbox, sandbox.mainLaunch(), process, start);
        }
    }

    private Sandbox startNow(SandboxSpec spec, Sandbox networkOwner) {
        return startNow(spec, networkOwner, null, false);
    }

    /**
     * Creates a sandbox now; it is tracked in {@link #openSandboxes()} once handed out. A {@code main} process
     * is sent right behind the set-up description. With {@code oneShot} its output pipes stay descriptors and
     * the caller receives from the sandbox's socket itself once it is ready (see OneShot).
     */
    private Sandbox startNow(SandboxSpec spec, Sandbox networkOwner, ProcessSpec main, boolean oneShot) {
        HostFacts facts = HostFacts.current();
        if (!spec.has(Namespace.USER) && !facts.isRoot()) {
            throw new SpecException("namespaces", "only root can run a sandbox without a user namespace; keep USER");
        }
        if (networkOwner != null && (!spec.has(Namespace.NET) || !spec.has(Namespace.USER))) {
            throw new SpecException("network", "a sandbox that shares another's network needs the USER and NET namespaces "
                    + "in its spec (they are the other sandbox's)");
        }
        IdMapPlan ids = networkOwner != null ? networkOwner.idMapPlan() : IdMapPlan.decide(spec.idMapping(), facts, spec.user());
        if (spec.has(Namespace.USER)) {
            ids.check("user", spec.user());
        }
        if (main != null) {
            main.user().ifPresent(u -> ids.check("user", u));
        }
        Optional<SeccompFilter> seccomp = SeccompFilters.forSandbox(spec.seccompProfile(), spec.capabilities(),
                spec.reportSeccompDenials(), spec.allowNestedUserNamespaces());
        MountPlan mounts = MountPlan.forSpec(spec, Optional.ofNullable(System.getProperty("user.home")).map(Path::of));
        boolean wantsCgroup = !spec.limits().isEmpty() || spec.trackUsage();
        CgroupPool.Key cgroupKey = new CgroupPool.Key(spec.limits(), spec.has(Namespace.PID));
        CgroupPool.Slot slot = wantsCgroup ? cgroupPool.take(cgroupKey) : null;
        if (slot == null && !spec.limits().isEmpty()) {
            CheckResult check = cgroups.check(spec.limits());
            if (check.status() == CheckResult.Status.FAIL) {
                throw new SandboxException("apply resource limits: " + check.detail()
                        + (check.fix().isEmpty() ? "" : "; fix: " + check.fix()), 0);
            }
        }
        String id = slot != null ? slot.id() : newId();
        StateDirectory.Entry state = slot != null ? slot.state() : null;
        SandboxCgroup cgroup = slot != null ? slot.cgroup() : null;
        int[] pair = null;
        Sandbox sandbox = null;
        try {
            if (state == null) {
                state = reserve(id, wantsCgroup, spec.toString());
                cgroup = wantsCgroup ? cgroups.create(id, spec.limits(), cgroupKey.diesWithInit())
                        : CgroupManager.none().create(id, spec.limits());
            }
            pair = Native.seqpacketPair("sandbox " + id);
            Message create = networkOwner != null ? CreateMessage.joiningNetwork(spec, ids, mounts, cgroup)
                    : CreateMessage.of(spec, ids, mounts, cgroup);
            int pid;
            if (networkOwner != null) {
                int[] shared = networkOwner.namespaceFds();
                try {
                    pid = server().create(create, pair[1], shared[0], shared[1]);
                } finally {
                    Native.close(shared[0]);
                    Native.close(shared[1]);
                }
            } else {
                pid = server().create(create, pair[1]);
            }
            Native.close(pair[1]);
            pair[1] = -1;
            sandbox = new Sandbox(id, spec, ids, seccomp, new ControlSocket(pair[0], "sandbox " + id), cgroup, state, pid, this,
                    () -> open.removeIf(s -> s.id().equals(id)));
            pair[0] = -1;
            SandboxException mainNotSent = null;
            if (main != null) {
                try {
                    sandbox.sendMainBeforeReady(main, oneShot);
                } catch (SandboxException e) {
                    mainNotSent = e; // most likely the set-up failed and the init is gone: awaitReady says why
                }
            }
            state.write(new SandboxState(id, ProcessHandle.current().pid(), pid, startTime(pid),
                    cgroup.directories().stream().map(Path::toString).toList(), Instant.now().toString(), spec.toString()));
            sandbox.awaitReady(!oneShot);
            if (mainNotSent != null) {
                throw mainNotSent;
            }
            if (wantsCgroup) {
                cgroupPool.refill(cgroupKey); // only for limits that just worked
            }
            return sandbox;
        } catch (RuntimeException e) {
            if (sandbox != null) {
                sandbox.close();
            } else {
                if (pair != null) {
                    Native.close(pair[0]);
                    Native.close(pair[1]);
                }
                if (cgroup != null) {
                    cgroup.close();
                }
                if (state != null) {
                    state.remove();
                }
            }
            throw e;
        }
    }

    private synchronized InitServer server() {
        if (server == null) {
            server = InitServer.start();
        }
        return server;
    }

    private static String newId() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Field 22 of /proc/PID/stat: tells a process from a later one that reused its pid. */
    static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String afterComm = stat.substring(stat.lastIndexOf(')') + 2);
            return Long.parseLong(afterComm.split(" ")[19]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * A cgroup for a sandbox yet to start, with the id and state entry it will have. The state records the
     * directories (no init yet), so a JVM killed while it holds the cgroup leaves nothing unaccounted for.
     */
    private CgroupPool.Slot makeCgroupAhead(CgroupPool.Key key) {
        String id = newId();
        StateDirectory.Entry state = reserve(id, true, POOLED + key.limits());
        SandboxCgroup cgroup = null;
        try {
            cgroup = cgroups.create(id, key.limits(), key.diesWithInit());
            return new CgroupPool.Slot(id, state, cgroup); // its state names where the cgroup may be: enough
        } catch (RuntimeException e) {
            try {
                if (cgroup != null) {
                    cgroup.close();
                }
            } finally {
                state.remove();
            }
            throw e;
        }
    }

    /** The spec summary of a state entry that holds a pooled cgroup, not (yet) a sandbox. */
    static final String POOLED = "pooled cgroup for ";

    /**
     * A new sandbox's state entry, its lock held. With {@code recordCgroups}, every directory its cgroup may get
     * is recorded before any exists, so a JVM killed at any later point leaves an entry naming all it made.
     */
    StateDirectory.Entry reserve(String id, boolean recordCgroups, String summary) {
        StateDirectory.Entry state = stateDirectory.create(id);
        if (recordCgroups) {
            try {
                state.write(new SandboxState(id, ProcessHandle.current().pid(), 0, 0,
                        cgroups.directoriesFor(id).stream().map(Path::toString).toList(), Instant.now().toString(),
                        summary));
            } catch (RuntimeException e) {
                state.remove();
                throw e;
            }
        }
        return state;
    }

    /** Kills a dead JVM's sandbox init and removes the cgroups its state names (those that exist). */
    private static void cleanAbandoned(String id, Optional<SandboxState> state) {
        if (state.isEmpty()) {
            return; // died before recording anything: it made nothing either
        }
        SandboxState s = state.get();
        if (s.initPid() > 0 && s.initStartTime() != 0 && startTime(s.initPid()) == s.initStartTime()) {
            Native.kill((int) s.initPid(), Native.SIGKILL);
        }
        CgroupCleaner.removeStale(s.cgroups().stream().map(Path::of).toList());
    }

    /**
     * Waits until the work this runtime does in the background is done: sandboxes being prestarted, cgroups being
     * made ahead, and the removal of closed sandboxes (their cgroups and state entries). For tests that check the
     * host is clean and benchmarks that want a quiet machine between measurements.
     */
    public void awaitIdle() {
        prestarted.awaitIdle();
        cgroupPool.awaitIdle();
        removal.awaitIdle();
    }

    BackgroundRemoval removal() {
        return removal;
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
        cgroupPool.close();
        closeOpenSandboxesAndServer();
        removal.close();
    }

    private synchronized void closeOpenSandboxesAndServer() {
        for (Sandbox s : List.copyOf(open)) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing " + s + " failed", e);
            }
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
