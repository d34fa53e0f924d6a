package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import dev.sandboxed.core.internal.cgroup.CgroupManager;
import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.egress.EgressLink;
import dev.sandboxed.core.internal.egress.EgressTools;
import dev.sandboxed.core.internal.hooks.OciState;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.internal.rootfs.ImageRootChoice;
import dev.sandboxed.core.internal.rootfs.ImageRootFallbacks;
import dev.sandboxed.core.internal.rootfs.MountPlan;
import dev.sandboxed.core.internal.rootfs.RootUsers;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.internal.seccomp.SeccompFilters;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/**
 * The one way a sandbox starts, in named phases: <b>plan</b> (every check that needs nothing on the host),
 * <b>reserve</b> (id, cgroup and state entry, from the pool made ahead or made now), <b>describe</b> (the
 * create message), <b>clone</b> (the server clones the init; the main process, if any, follows at once) and
 * <b>await ready</b>. A failure in any phase goes through one rollback that undoes what the phases reached.
 */
public final class SandboxStarter {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The spec summary of a state entry that holds a pooled cgroup, not (yet) a sandbox. */
    public static final String POOLED = "pooled cgroup for ";

    private final StateDirectory stateDirectory;
    private final CgroupManager cgroups;
    private final CgroupPool cgroupPool;
    private final Supplier<InitServer> server;
    private final BackgroundRemoval removal;
    /** Image root modes this runtime found refused, so later starts skip them. */
    private final ImageRootFallbacks rootFallbacks = new ImageRootFallbacks();
    private Path guardBinary; // guarded by this

    public SandboxStarter(StateDirectory stateDirectory, CgroupManager cgroups, int cgroupPoolDepth,
            Supplier<InitServer> server, BackgroundRemoval removal) {
        this.stateDirectory = stateDirectory;
        this.cgroups = cgroups;
        this.cgroupPool = new CgroupPool(cgroupPoolDepth, this::makeCgroupAhead);
        this.server = server;
        this.removal = removal;
    }

    public CgroupPool cgroupPool() {
        return cgroupPool;
    }

    /** What the checks decided, before anything exists on the host. */
    private record Plan(StartRequest request, IdMapPlan ids, Optional<SeccompFilter> seccomp, MountPlan mounts,
            boolean wantsCgroup, CgroupPool.Key cgroupKey, Optional<EgressTools.Located> egress) {
        SandboxSpec spec() {
            return request.spec();
        }
    }

    /** What a start has made so far, for the rollback. */
    private static final class Underway {
        String id;
        StateDirectory.Entry state;
        SandboxCgroup cgroup;
        ControlSocket socket;
        InitServer server;
        RuntimeNetwork.Member member;
        /** The process parked in a pooled cgroup, until the create request takes it or it is let go. */
        CgroupPool.Parked parked;
        RunningSandbox sandbox;
        EgressLink egress;
        int[] namespaces; // the init's user and network namespaces, for the egress tool
        PublishedPorts ports = PublishedPorts.none();
    }

    /**
     * Starts a sandbox. Everything that can be checked is checked before anything is created on the host; a failure
     * afterwards removes what was created and names the step and errno. With {@link MainOutput#COLLECT_ON_CALLER}
     * the caller receives from the sandbox's socket once it is ready ({@link OneShot#collect}).
     */
    public RunningSandbox start(StartRequest request) {
        Plan plan = plan(request.withSpec(RootUsers.resolve(request.spec())));
        Underway made = new Underway();
        try {
            made.ports = PublishedPorts.bind(plan.spec().publishedPorts(),
                    plan.seccomp().map(SeccompFilter::notifyBind).orElse(false));
            reserve(plan, made);
            Message create = describe(plan, made);
            clone(plan, made, create);
            if (made.egress != null) {
                made.egress.awaitUp(); // before the main process is sent: it starts with the network up
            }
            awaitReady(plan, made);
            made.sandbox.reportHookFailures(LifecycleHooks.runReported(plan.spec(), Hook.Stage.POSTSTART,
                    made.sandbox.hookState().withStatus(OciState.Status.RUNNING)));
            return made.sandbox;
        } catch (RuntimeException e) {
            rollBack(made);
            throw made.server == null ? e : made.server.explain(e);
        }
    }

    private Plan plan(StartRequest request) {
        SandboxSpec spec = request.spec();
        HostFacts facts = HostFacts.current();
        if (!spec.has(Namespace.USER) && !facts.isRoot()) {
            throw new SpecException("namespaces", "only root can run a sandbox without a user namespace; keep USER");
        }
        if (request.networkOwner().isPresent() && (!spec.has(Namespace.NET) || !spec.has(Namespace.USER))) {
            throw new SpecException("network", "a sandbox that shares another's network needs the USER and NET namespaces "
                    + "in its spec (they are the other sandbox's)");
        }
        if (spec.joinedNetwork().isPresent() != request.network().isPresent()) {
            throw new IllegalStateException("the spec's network and the request's differ: " + spec.joinedNetwork());
        }
        if (request.network().isPresent() && request.networkOwner().isPresent()) {
            throw new SpecException("network", "a sandbox that shares another's network namespace cannot also join "
                    + "network '" + request.network().get().name() + "'");
        }
        IdMapPlan ids = request.networkOwner().map(RunningSandbox::ids)
                .orElseGet(() -> IdMapPlan.forSpec(spec, facts));
        if (spec.has(Namespace.USER)) {
            ids.check("user", spec.user());
        }
        request.main().flatMap(m -> m.user()).ifPresent(u -> ids.check("user", u));
        request.main().ifPresent(m -> ProcessMessages.checkSize(spec, m));
        Optional<SeccompFilter> seccomp = SeccompFilters.forSandbox(spec.seccompProfile(), spec.capabilities(),
                spec.reportSeccompDenials(), spec.allowNestedUserNamespaces(), spec.allowCompatArchitectures(),
                PublishBypass.wanted(spec));
        MountPlan mounts = rootFallbacks.apply(MountPlan.forSpec(spec,
                Optional.ofNullable(System.getProperty("user.home")).map(Path::of),
                request.network().map(n -> new MountPlan.NetworkEtc(n.hostsFile(), n.resolvConf()))));
        boolean wantsCgroup = !spec.limits().isEmpty() || spec.trackUsage();
        Optional<EgressTools.Located> egress = spec.network() == NetworkMode.EGRESS && request.networkOwner().isEmpty()
                ? Optional.of(new EgressTools(HostEnvironment.system()).forSandbox()) : Optional.empty();
        return new Plan(request, ids, seccomp, mounts, wantsCgroup, new CgroupPool.Key(spec.limits(), spec.has(Namespace.PID)),
                egress);
    }

    /** Id, cgroup and state entry: one made ahead when the pool has it, else made now. */
    private void reserve(Plan plan, Underway made) {
        SandboxSpec spec = plan.spec();
        if (plan.request().network().isPresent()) {
            List<String> names = new ArrayList<>();
            names.add(spec.hostname());
            names.addAll(spec.joinedNetwork().orElseThrow().aliases());
            made.member = plan.request().network().get().join(names, plan.ids(), spec.has(Namespace.USER));
        }
        CgroupPool.Slot slot = plan.wantsCgroup() ? cgroupPool.take(plan.cgroupKey()) : null;
        if (slot != null) {
            made.id = slot.id();
            made.state = slot.state();
            made.cgroup = slot.cgroup();
            made.parked = slot.parked();
            return;
        }
        if (!spec.limits().isEmpty()) {
            CheckResult check = cgroups.check(spec.limits());
            if (check.status() == CheckResult.Status.FAIL) {
                throw new SandboxException("apply resource limits: " + check.detail()
                        + (check.fix().isEmpty() ? "" : "; fix: " + check.fix()), 0);
            }
        }
        made.id = newId();
        made.state = reserve(made.id, plan.wantsCgroup(), summary(spec));
        made.cgroup = plan.wantsCgroup() ? cgroups.create(made.id, spec.limits(), plan.cgroupKey().diesWithInit())
                : CgroupManager.none().create(made.id, spec.limits());
    }

    private static Message describe(Plan plan, Underway made) {
        // A member on a prepared slot joins the slot's namespaces as a sandbox sharing another's network would.
        boolean slot = made.member != null && made.member.slotNamespaces().isPresent();
        Message create = plan.request().networkOwner().isPresent() || slot
                ? CreateMessage.joiningNetwork(plan.spec(), plan.ids(), plan.mounts(), made.cgroup)
                : CreateMessage.of(plan.spec(), plan.ids(), plan.mounts(), made.cgroup);
        if (plan.egress().isPresent()) {
            create.putU32(Protocol.F_NAMESPACES_OUT, 1);
        }
        LifecycleHooks.describe(create, plan.spec());
        plan.seccomp().ifPresent(filter -> CreateMessage.filterForInit(create, filter));
        if (plan.mounts().imageRoot().isPresent()) {
            boolean disk = plan.mounts().imageRoot().get().diskLayer();
            CreateMessage.imageRoot(create, plan.mounts(), disk ? Optional.of(DiskLayers.create(made.id)) : Optional.empty());
        }
        if (made.member != null && !slot) {
            CreateMessage.onNetwork(create, made.member.network().id(), made.member.address(),
                    made.member.network().prefix());
        }
        return create;
    }

    /**
     * The server clones the init, handing it its end of a new socket (and the namespaces it joins); the main
     * process follows right behind, so the init starts it as soon as it is set up, without a round trip.
     */
    private void clone(Plan plan, Underway made, Message create) {
        int[] pair = Native.seqpacketPair("sandbox " + made.id);
        made.socket = new ControlSocket(pair[0], "sandbox " + made.id);
        InitServer.Created created;
        try {
            try {
                created = create(plan, made, create, pair[1]);
            } catch (InitServer.DiedException e) {
                if (!e.beforeRequest()) {
                    throw e; // it died with our sandbox half made
                }
                created = create(plan, made, create, pair[1]); // it was dead already: a new one takes the request
            }
        } finally {
            Native.close(pair[1]);
        }
        if (plan.egress().isPresent()) {
            // Attached as soon as the namespaces exist, so the tool comes up while the init sets up the mounts.
            try {
                made.egress = EgressLink.start(guardBinary(), plan.egress().get(), created.pid(), made.namespaces[0],
                        made.namespaces[1], plan.spec().egressHostLoopback(), HostFacts.current().isRoot());
            } finally {
                Native.close(made.namespaces[0]);
                Native.close(made.namespaces[1]);
            }
        }
        InitConnection connection = new InitConnection(made.id, made.socket, new OomClassifier(made.id, made.cgroup),
                made.server::deathIfAny);
        connection.exposeHostPorts(plan.spec().exposedHostPorts());
        if (made.ports.bypass()) {
            connection.bypassPublishedPorts(made.ports.bound());
        }
        made.sandbox = new RunningSandbox(made.id, plan.spec(), plan.ids(), plan.seccomp(), connection, made.cgroup,
                made.state, created, removal, made.ports, Optional.ofNullable(made.member),
                Optional.ofNullable(made.egress));
    }

    /** One create request to the current server (a new one if the last died), with the namespaces a sandbox joins. */
    private InitServer.Created create(Plan plan, Underway made, Message create, int socket) {
        made.server = server.get();
        Optional<RuntimeNetwork> network = plan.request().network();
        if (network.isPresent() && network.get().server() != made.server) {
            throw new SandboxException("join network '" + network.get().name() + "': the network is gone: it died"
                    + " with its sandbox-init server", 0); // the rollback lets the parked process go
        }
        // Before the parked process is named: once named it is the server's, and a failure here must still let it go.
        Optional<RunningSandbox> owner = plan.request().networkOwner();
        int[] shared = owner.isPresent() ? owner.get().connection().namespaceFds() : null;
        try {
            if (made.parked != null) {
                // It clones the init (or, joining namespaces, the child that joins them); a dead server's died with it.
                if (made.parked.server() == made.server) {
                    create.putU32(Protocol.F_PARKED, made.parked.id());
                } else {
                    made.parked.release();
                }
                made.parked = null;
            }
            Optional<int[]> slot = made.member == null ? Optional.empty() : made.member.slotNamespaces();
            if (slot.isPresent()) {
                try {
                    return made.server.create(create, socket, slot.get()[0], slot.get()[1]);
                } finally {
                    made.member.releaseSlot(); // the init holds the namespaces now (or failed, and they go)
                }
            }
            if (shared != null) {
                return made.server.create(create, socket, shared[0], shared[1]);
            }
            if (plan.egress().isPresent()) {
                made.namespaces = new int[] {-1, -1};
                return made.server.createWithNamespaces(create, made.namespaces, socket);
            }
            return made.server.create(create, socket);
        } finally {
            if (shared != null) {
                Native.close(shared[0]);
                Native.close(shared[1]);
            }
        }
    }

    /**
     * Sends the main process (if any), records the init in the state entry, and waits for the init's answer. A
     * main process that could not be sent most likely means the set-up failed and the init is gone: the ready
     * answer says why, so that failure comes first.
     */
    private void awaitReady(Plan plan, Underway made) {
        try {
            awaitReadyAnswer(plan, made);
        } catch (ImageRootFailure e) {
            throw imageRootFailed(plan.mounts().imageRoot().orElseThrow().choice(), e);
        }
    }

    /**
     * A forced mode that failed: one line naming the mode, what forced it, the fix and the error. An auto choice's
     * failure already says what was refused before (sandbox-init's step).
     */
    private static SandboxException imageRootFailed(ImageRootChoice choice, ImageRootFailure e) {
        if (choice.fallback()) {
            return new SandboxException("assemble the image root (" + e.mode() + ", the last that the host allowed): "
                    + e.step(), e.errno());
        }
        return new SandboxException("image root mode " + e.mode() + " (" + choice.reason() + "; fix: leave "
                + choice.forcedBy() + " unset, so that a mode this host refuses falls back to fuse-overlayfs or a copy,"
                + " or force another) failed: " + e.step(), e.errno());
    }

    private void awaitReadyAnswer(Plan plan, Underway made) {
        RunningSandbox sandbox = made.sandbox;
        // Lifecycle hooks (issue 16): with any, the init waits before pivot_root until the runtime's have run.
        LifecycleHooks.beforePivot(sandbox, sandbox.hookState());
        SandboxException mainNotSent = null;
        // Queued before the main process, so the init forwards before it starts anything; the host sockets listen
        // already, so a connection made from now on waits in their backlog until the init accepts it.
        made.ports.sendTo(sandbox.connection().socket());
        if (plan.request().main().isPresent()) {
            try {
                sandbox.launchMain(plan.request().main().get(), plan.request().mainOutput());
            } catch (SandboxException e) {
                mainNotSent = e;
            }
        }
        int pid = sandbox.initPid();
        made.state.write(new SandboxState(made.id, ProcessHandle.current().pid(), pid, startTime(pid),
                made.cgroup.directories().stream().map(Path::toString).toList(), Instant.now().toString(),
                summary(plan.spec())));
        Message ready = sandbox.connection().awaitReady(plan.request().mainOutput() == MainOutput.COLLECT_ON_CALLER
                ? InitConnection.AfterReady.CALLER_RECEIVES : InitConnection.AfterReady.READER_THREAD);
        ready.find(Protocol.F_ROOT_FELL_BACK).ifPresent(f -> rootFallbacks.fellBack(plan.mounts(),
                ImageRootFailure.mode(f.u32(Protocol.ROOT_FELL_BACK_MODE)), fellBackWhy(f.data()),
                ready.u32(Protocol.F_ROOT_LAST_ERRNO, 0)));
        if (mainNotSent != null) {
            throw mainNotSent;
        }
        if (plan.wantsCgroup()) {
            cgroupPool.refill(plan.cgroupKey()); // only for limits that just worked
        }
    }

    /** F_ROOT_FELL_BACK's refusals, the NUL-terminated text after the mode and errno. */
    private static String fellBackWhy(byte[] data) {
        int end = Protocol.ROOT_FELL_BACK_WHY;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, Protocol.ROOT_FELL_BACK_WHY, end - Protocol.ROOT_FELL_BACK_WHY, StandardCharsets.UTF_8);
    }

    /** Undoes what the phases reached: a cloned sandbox closes as any other does, else its parts go one by one. */
    private static void rollBack(Underway made) {
        made.ports.close();
        if (made.parked != null) {
            made.parked.release();
        }
        if (made.member != null && made.sandbox == null) {
            made.member.leave();
        }
        if (made.sandbox != null) {
            // A failure before the ready answer was awaited leaves nobody receiving: the close needs the hang-up.
            made.sandbox.connection().startReaderUnlessStarted();
            made.sandbox.close(() -> { });
            return;
        }
        if (made.egress != null) {
            made.egress.close();
        }
        if (made.socket != null) {
            made.socket.close();
        }
        if (made.cgroup != null) {
            made.cgroup.close();
        }
        if (made.id != null) {
            DiskLayers.removeIfPresent(made.id);
        }
        if (made.state != null) {
            made.state.remove();
        }
    }

    /**
     * The state entry's summary of a spec: its root, hostname and limits. Not {@code SandboxSpec.toString()}, which
     * spells out every field and cost about 8% of a start's JVM time; clean-up needs none of it.
     */
    static String summary(SandboxSpec spec) {
        String summary = "rootfs=" + spec.rootfs() + ", hostname=" + spec.hostname();
        return spec.limits().isEmpty() ? summary : summary + ", limits=" + spec.limits();
    }

    /** sandbox-init, which runs an egress tool as {@code --guard}; located once. */
    private synchronized Path guardBinary() {
        if (guardBinary == null) {
            guardBinary = InitBinary.locate();
        }
        return guardBinary;
    }

    private static String newId() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Field 22 of /proc/PID/stat: tells a process from a later one that reused its pid. */
    public static long startTime(long pid) {
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
            return new CgroupPool.Slot(id, state, cgroup, park(cgroup)); // its state names where it may be: enough
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

    /**
     * On v1, a process parked in the cgroup ahead, so that the kernel's wait in the move (an RCU grace period,
     * about 10 ms unless another move happened just before) is not a start's. v2 needs none: the init is cloned
     * straight into its cgroup. Java never writes the pid itself: the parked process moves itself, so no pid that
     * may have been reused is ever written.
     */
    private CgroupPool.Parked park(SandboxCgroup cgroup) {
        if (cgroup.procsFiles().isEmpty() || cgroup.cloneIntoDirectory().isPresent()) {
            return null;
        }
        InitServer current = server.get();
        return new CgroupPool.Parked(current, current.park(cgroup.procsFiles()));
    }

    /**
     * A new sandbox's state entry, its lock held. With {@code recordCgroups}, every directory its cgroup may get
     * is recorded before any exists, so a JVM killed at any later point leaves an entry naming all it made.
     */
    public StateDirectory.Entry reserve(String id, boolean recordCgroups, String summary) {
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
}
