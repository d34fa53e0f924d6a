package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Sandbox cgroups on the unified (v2) hierarchy: one directory per sandbox below the parent chosen by
 * {@link V2Planner}, with only the needed controllers enabled in the parent's cgroup.subtree_control.
 *
 * <p>Without a configured parent, sandboxes go below this JVM's own delegated cgroup. Because a v2 cgroup with
 * processes cannot enable controllers for its children, the first create() moves every process of that cgroup
 * (this JVM, and e.g. mvn in the same {@code systemd-run --user --scope -p Delegate=yes} scope) into the leaf
 * {@value V2Planner#LEAF}; sandboxes become its siblings. A configured parent never moves anything.
 */
final class CgroupV2Manager implements CgroupManager {
    /** Enabled when available even without limits, so usage() has memory and pids numbers. */
    static final Set<String> STATS_CONTROLLERS = Set.of("memory", "pids");
    private static final String DELEGATE_FIX = "sudo mkdir -p /etc/systemd/system/user@.service.d && printf"
            + " '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee"
            + " /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload"
            + " (then log in again)";

    private final CgroupConfig config;
    private final CgroupFiles files;
    private final V2Planner planner;
    private final CgroupReaper reaper;

    CgroupV2Manager(CgroupLayout layout, CgroupConfig config, CgroupFiles files) {
        this.config = config;
        this.files = files;
        this.planner = new V2Planner(layout.unified().orElseThrow(), config.parent(), files);
        this.reaper = new CgroupReaper(files);
    }

    @Override
    public String version() {
        return "v2";
    }

    @Override
    public CheckResult check(ResourceLimits limits) {
        LimitsValidator.validate(limits);
        V2Placement p = planner.plan();
        String name = "cgroup v2";
        if (!p.usable()) {
            String detail = p.problem().orElseThrow();
            return limits.isEmpty()
                    ? CheckResult.warn(name, detail + "; sandboxes run without resource usage stats", p.fix())
                    : CheckResult.fail(name, detail + "; resource limits cannot be enforced", p.fix());
        }
        Set<String> missing = new TreeSet<>(Controllers.requiredV2(limits));
        missing.removeAll(p.available());
        if (!missing.isEmpty()) {
            return CheckResult.fail(name, "controllers " + missing + " are not available in " + p.parent()
                    + " (cgroup.controllers: " + p.available() + ")", controllerFix(p, missing));
        }
        Optional<String> swap = swapProblem(limits, p);
        if (swap.isPresent()) {
            return CheckResult.fail(name, swap.get(), "boot the kernel with swapaccount=1 or remove memorySwapMax");
        }
        Optional<String> attach = attachProblem(p);
        if (attach.isPresent()) {
            return CheckResult.fail(name, attach.get(), V2Planner.SCOPE_FIX);
        }
        Set<String> stats = new TreeSet<>(STATS_CONTROLLERS);
        stats.removeAll(p.available());
        String detail = "sandbox cgroups in " + p.parent() + ", controllers available " + p.available()
                + p.leaf().map(l -> ", this JVM moves to " + l).orElse("");
        if (!stats.isEmpty()) {
            return CheckResult.warn(name, detail + "; no usage stats for " + stats, controllerFix(p, stats));
        }
        return CheckResult.ok(name, detail);
    }

    /** Where the last sandbox cgroup went and which controllers its parent enables, reused while true. */
    private record Prepared(V2Placement placement, Set<String> enabled) {
    }

    /**
     * The placement of the last successful create. Planning reads and checks a dozen files (about 0.2 ms, a
     * fifth of what a cgroup adds to a sandbox), and none of it changes while the parent exists; a create
     * that fails all the same plans afresh once.
     */
    private volatile Prepared prepared;

    @Override
    public SandboxCgroup create(String sandboxId, ResourceLimits limits, boolean diesWithInit) {
        LimitsValidator.validate(limits);
        SandboxNames.directoryName(sandboxId); // a bad id fails here, before anything is touched
        Prepared ready = prepared;
        if (ready != null && ready.enabled().containsAll(Controllers.requiredV2(limits))) {
            try {
                return createIn(ready.placement(), sandboxId, limits);
            } catch (CgroupException e) {
                prepared = null; // the host changed under us: plan again
            }
        }
        V2Placement p = planner.plan();
        if (!p.usable()) {
            if (limits.isEmpty()) {
                return NoopSandboxCgroup.INSTANCE;
            }
            throw new CgroupException("cannot enforce resource limits for sandbox " + sandboxId + ": "
                    + p.problem().orElseThrow() + "; fix: " + p.fix());
        }
        Optional<String> attach = attachProblem(p);
        if (attach.isPresent()) {
            if (limits.isEmpty()) {
                return NoopSandboxCgroup.INSTANCE;
            }
            throw new CgroupException("cannot enforce resource limits for sandbox " + sandboxId + ": " + attach.get()
                    + "; fix: " + V2Planner.SCOPE_FIX);
        }
        Set<String> required = Controllers.requiredV2(limits);
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(p.available());
        if (!missing.isEmpty()) {
            throw new CgroupException("cannot enforce resource limits for sandbox " + sandboxId + ": controllers "
                    + missing + " not available in " + p.parent() + "; fix: " + controllerFix(p, missing));
        }
        Set<String> wanted = new LinkedHashSet<>(required);
        for (String c : STATS_CONTROLLERS) {
            if (p.available().contains(c)) {
                wanted.add(c);
            }
        }
        prepareParent(p, wanted);
        SandboxCgroup created = createIn(p, sandboxId, limits);
        prepared = new Prepared(p, Set.copyOf(wanted));
        return created;
    }

    /** The sandbox's cgroup below a prepared parent, with its limits written. */
    private SandboxCgroup createIn(V2Placement p, String sandboxId, ResourceLimits limits) {
        String dirName = SandboxNames.directoryName(sandboxId);
        Path dir = p.parent().resolve(dirName);
        try {
            files.fs().mkdir(dir);
        } catch (IOException e) {
            throw CgroupException.of("mkdir sandbox cgroup", dir, e);
        }
        try {
            new V2Limits(files, dir).apply(limits);
        } catch (RuntimeException e) {
            try {
                reaper.remove(List.of(dir), config.removeTimeout());
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new CgroupSandbox(List.of(dir), new V2Stats(files, dir), reaper, config.removeTimeout(), true);
    }

    @Override
    public List<Path> directoriesFor(String sandboxId) {
        String dirName = SandboxNames.directoryName(sandboxId);
        Prepared ready = prepared;
        V2Placement p = ready != null ? ready.placement() : planner.plan();
        return p.parent() == null ? List.of() : List.of(p.parent().resolve(dirName));
    }

    /** Creates a missing configured parent, moves this JVM into its leaf, enables controllers. */
    private synchronized void prepareParent(V2Placement p, Set<String> wanted) {
        CgroupFs fs = files.fs();
        Deque<Path> toCreate = new ArrayDeque<>();
        for (Path d = p.parent(); !fs.exists(d); d = d.getParent()) {
            toCreate.push(d);
        }
        for (Path d : toCreate) {
            enable(d.getParent(), wanted);
            try {
                fs.mkdir(d);
            } catch (IOException e) {
                if (!fs.isDirectory(d)) { // another JVM may have won the race
                    throw CgroupException.of("mkdir parent cgroup", d, e);
                }
            }
        }
        if (p.leaf().isPresent()) {
            moveIntoLeaf(p.parent(), p.leaf().get());
        }
        enable(p.parent(), wanted);
    }

    /** Writes "+c" for each wanted controller the cgroup offers but has not enabled yet (only those). */
    private void enable(Path cgroup, Set<String> wanted) {
        Set<String> offered = Controllers.parseList(files.readIfPresent(cgroup.resolve("cgroup.controllers"))
                .orElse(""));
        Set<String> enabled = Controllers.parseList(files.readIfPresent(cgroup.resolve("cgroup.subtree_control"))
                .orElse(""));
        StringBuilder cmd = new StringBuilder();
        for (String c : wanted) {
            if (offered.contains(c) && !enabled.contains(c)) {
                cmd.append(cmd.length() == 0 ? "" : " ").append('+').append(c);
            }
        }
        if (cmd.length() > 0) {
            files.write(cgroup.resolve("cgroup.subtree_control"), cmd.toString(), "enable controllers");
        }
    }

    /**
     * Moves every process of the delegated cgroup (this JVM, and e.g. mvn in the same systemd scope) into the leaf,
     * so the cgroup holds no processes and may enable controllers for its children. Repeats because processes
     * can fork while we move them.
     */
    private void moveIntoLeaf(Path cgroup, Path leaf) {
        CgroupFs fs = files.fs();
        if (!fs.isDirectory(leaf)) {
            try {
                fs.mkdir(leaf);
            } catch (IOException e) {
                if (!fs.isDirectory(leaf)) {
                    throw CgroupException.of("mkdir leaf cgroup for this JVM", leaf, e);
                }
            }
        }
        Path procs = cgroup.resolve("cgroup.procs");
        for (int round = 0; round < 100; round++) {
            List<Long> pids = files.pids(procs);
            if (pids.isEmpty()) {
                return;
            }
            for (long pid : pids) {
                try {
                    fs.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
                } catch (NoSuchFileException e) {
                    throw CgroupException.of("move pid " + pid + " into leaf", leaf.resolve("cgroup.procs"), e);
                } catch (IOException e) {
                    // ESRCH: exited meanwhile; anything else shows up as a process that stays, reported below
                }
            }
        }
        throw new CgroupException("move processes into leaf " + leaf + ": processes " + files.pids(procs)
                + " keep appearing in " + cgroup);
    }

    /** The C side writes the init pid from this JVM's cgroup; that needs the common ancestor's cgroup.procs. */
    private Optional<String> attachProblem(V2Placement p) {
        Optional<Path> jvm = planner.jvmCgroup(p);
        if (jvm.isEmpty()) {
            return Optional.empty();
        }
        Path a = jvm.get();
        while (a != null && !p.parent().startsWith(a)) {
            a = a.getParent();
        }
        if (a == null || files.fs().canWrite(a.resolve("cgroup.procs"))) {
            return Optional.empty();
        }
        return Optional.of("moving the sandbox init from " + jvm.get() + " into " + p.parent()
                + " needs write access to " + a.resolve("cgroup.procs") + " (common ancestor), uid "
                + files.fs().uid() + " has none");
    }

    private Optional<String> swapProblem(ResourceLimits limits, V2Placement p) {
        if (limits.memorySwapMax().isEmpty() || !files.fs().exists(p.parent())) {
            return Optional.empty();
        }
        // Interface files of the parent tell whether swap accounting exists (the root has no memory.* files).
        Path probe = p.parent().resolve("memory.swap.max");
        if (files.fs().exists(p.parent().resolve("memory.max")) && !files.fs().exists(probe)) {
            return Optional.of("memory.swap.max is missing in " + p.parent() + " (swap accounting disabled)");
        }
        return Optional.empty();
    }

    private static String controllerFix(V2Placement p, Set<String> missing) {
        StringBuilder sb = new StringBuilder();
        for (String c : missing) {
            sb.append(sb.length() == 0 ? "" : " ").append('+').append(c);
        }
        return "echo '" + sb + "' | sudo tee " + p.parent().getParent() + "/cgroup.subtree_control"
                + "   (systemd user sessions: " + DELEGATE_FIX + ")";
    }
}
