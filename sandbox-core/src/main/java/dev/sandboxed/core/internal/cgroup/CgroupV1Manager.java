package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Sandbox cgroups on v1 (and hybrid) hosts: one directory per needed hierarchy, below the configured parent
 * (relative to each controller mount) or this process's own cgroup in that hierarchy.
 *
 * <p>Besides the hierarchies the limits need, memory, cpuacct and pids are created for usage stats, and freezer
 * for a race-free kill of a sandbox without its own pid namespace, when writable. Each extra hierarchy costs one more cgroup.procs write on the C side;
 * measured on Linux 6.18: about 0.35 ms for the first write after idle (RCU grace period) and 0.04 ms for each
 * further one, mkdir 0.02-0.08 ms. The runtime makes them ahead of need (see CgroupPool in the process package).
 */
final class CgroupV1Manager implements CgroupManager {
    static final List<String> STATS_CONTROLLERS = List.of("memory", "cpuacct", "pids", "freezer");

    private final CgroupLayout layout;
    private final CgroupConfig config;
    private final CgroupFiles files;
    private final CgroupReaper reaper;

    CgroupV1Manager(CgroupLayout layout, CgroupConfig config, CgroupFiles files) {
        this.layout = layout;
        this.config = config;
        this.files = files;
        this.reaper = new CgroupReaper(files);
    }

    @Override
    public String version() {
        return "v1";
    }

    /** The parent directory for a controller, whether it can be used, and why not. */
    record Parent(String controller, CgroupLayout.Hierarchy hierarchy, Path dir, Optional<String> problem) {
    }

    /** Where a controller's sandbox cgroups go, from the layout and configuration alone (no file is looked at). */
    private Parent placement(String controller) {
        CgroupLayout.Hierarchy h = layout.v1().get(controller);
        if (h == null) {
            return new Parent(controller, null, null, Optional.of("controller " + controller + " is not mounted"));
        }
        Path dir;
        if (config.parent().isPresent() && CgroupParentPath.isFilesystemPath(config.parent().get())) {
            return new Parent(controller, h, null, Optional.of("configured parent " + config.parent().get()
                    + " is a filesystem path; on cgroup v1 it is a cgroup path relative to every controller mount"
                    + " (e.g. sandboxed-ci for " + h.mountPoint().resolve("sandboxed-ci") + ")"));
        } else if (config.parent().isPresent()) {
            dir = h.mountPoint().resolve(config.parent().get().replaceFirst("^/+", "")).normalize();
            if (!CgroupParentPath.isBelow(dir, h.mountPoint())) {
                return new Parent(controller, h, null, Optional.of("configured parent " + config.parent().get()
                        + " escapes " + h.mountPoint()));
            }
        } else if (h.ownDir().isPresent()) {
            dir = h.ownDir().get();
        } else {
            return new Parent(controller, h, null, Optional.of("this process's " + controller
                    + " cgroup is not visible below " + h.mountPoint()));
        }
        return new Parent(controller, h, dir, Optional.empty());
    }

    /** The placement, and whether this user can create cgroups there. */
    Parent parentFor(String controller) {
        Parent p = placement(controller);
        if (p.problem().isPresent()) {
            return p;
        }
        CgroupLayout.Hierarchy h = p.hierarchy();
        Path dir = p.dir();
        Path existing = dir;
        while (!files.fs().exists(existing) && !existing.equals(h.mountPoint())) {
            existing = existing.getParent();
        }
        if (!files.fs().canWrite(existing)) {
            return new Parent(controller, h, dir, Optional.of(existing + " is not writable by uid "
                    + files.fs().uid() + " (owner uid " + files.fs().ownerUid(existing) + ")"));
        }
        return new Parent(controller, h, dir, Optional.empty());
    }

    @Override
    public CheckResult check(ResourceLimits limits) {
        LimitsValidator.validate(limits);
        String name = "cgroup " + layout.describe();
        List<Parent> failed = new ArrayList<>();
        for (String c : Controllers.requiredV1(limits)) {
            Parent p = parentFor(c);
            if (p.problem().isPresent()) {
                failed.add(p);
            }
        }
        Optional<String> unsupported = unsupported(limits);
        if (unsupported.isPresent()) {
            return CheckResult.fail(name, unsupported.get(), "remove the limit or run on a cgroup v2 host");
        }
        if (!failed.isEmpty()) {
            return CheckResult.fail(name, describe(failed) + "; resource limits cannot be enforced", fix(failed));
        }
        List<Parent> statsMissing = new ArrayList<>();
        Map<String, Path> usable = new LinkedHashMap<>();
        Set<String> all = new LinkedHashSet<>(Controllers.requiredV1(limits));
        all.addAll(STATS_CONTROLLERS);
        for (String c : all) {
            Parent p = parentFor(c);
            if (p.problem().isPresent()) {
                if (!c.equals("freezer")) { // optional: killing works without it, only less race-free
                    statsMissing.add(p);
                }
            } else {
                usable.put(c, p.dir());
            }
        }
        String detail = "sandbox cgroups in " + usable;
        if (usable.isEmpty()) {
            return CheckResult.warn(name, describe(statsMissing) + "; sandboxes run without resource usage stats",
                    fix(statsMissing));
        }
        if (!statsMissing.isEmpty()) {
            return CheckResult.warn(name, detail + "; not usable: " + describe(statsMissing), fix(statsMissing));
        }
        return CheckResult.ok(name, detail);
    }

    @Override
    public SandboxCgroup create(String sandboxId, ResourceLimits limits, boolean diesWithInit) {
        LimitsValidator.validate(limits);
        String dirName = SandboxNames.directoryName(sandboxId);
        unsupported(limits).ifPresent(u -> {
            throw new CgroupException("cannot enforce resource limits for sandbox " + sandboxId + ": " + u);
        });
        Set<String> required = Controllers.requiredV1(limits);
        List<Parent> failed = new ArrayList<>();
        Map<Path, Parent> byMount = new LinkedHashMap<>(); // co-mounted controllers (cpu,cpuacct) share a directory
        for (String c : required) {
            Parent p = parentFor(c);
            if (p.problem().isPresent()) {
                failed.add(p);
            } else {
                byMount.putIfAbsent(p.hierarchy().mountPoint(), p);
            }
        }
        if (!failed.isEmpty()) {
            throw new CgroupException("cannot enforce resource limits for sandbox " + sandboxId + ": "
                    + describe(failed) + "; fix: " + fix(failed));
        }
        for (String c : STATS_CONTROLLERS) {
            if (c.equals("freezer") && diesWithInit) {
                continue; // each mkdir, cgroup.procs write and rmdir costs; this one would only serve the kill
            }
            Parent p = parentFor(c);
            if (p.problem().isEmpty()) {
                byMount.putIfAbsent(p.hierarchy().mountPoint(), p);
            }
        }
        if (byMount.isEmpty()) {
            return NoopSandboxCgroup.INSTANCE; // only reached without limits
        }
        List<Path> created = new ArrayList<>();
        Map<String, Path> dirByController = new LinkedHashMap<>();
        try {
            for (Parent p : byMount.values()) {
                boolean cpuset = p.hierarchy().controllers().contains("cpuset");
                ensureParent(p, cpuset);
                Path dir = p.dir().resolve(dirName);
                try {
                    files.fs().mkdir(dir);
                } catch (IOException e) {
                    throw CgroupException.of("mkdir sandbox cgroup", dir, e);
                }
                created.add(dir);
                if (cpuset) {
                    CpusetInit.inheritFromParent(files, dir);
                }
                for (String c : p.hierarchy().controllers()) {
                    dirByController.put(c, dir);
                }
            }
            new V1Limits(files, dirByController).apply(limits);
        } catch (RuntimeException e) {
            try {
                reaper.remove(created, config.removeTimeout());
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        V1Stats stats = new V1Stats(files, Optional.ofNullable(dirByController.get("memory")),
                Optional.ofNullable(dirByController.get("cpuacct")), Optional.ofNullable(dirByController.get("cpu")),
                Optional.ofNullable(dirByController.get("pids")));
        return new CgroupSandbox(created, stats, reaper, config.removeTimeout(), false);
    }

    @Override
    public List<Path> directoriesFor(String sandboxId) {
        String dirName = SandboxNames.directoryName(sandboxId);
        Set<Path> dirs = new LinkedHashSet<>();
        for (String c : layout.v1().keySet()) {
            Parent p = placement(c);
            if (p.dir() != null) {
                dirs.add(p.dir().resolve(dirName));
            }
        }
        return List.copyOf(dirs);
    }

    /** Creates a configured parent that does not exist yet (cpuset directories need cpus/mems before use). */
    private synchronized void ensureParent(Parent p, boolean cpuset) {
        Deque<Path> toCreate = new ArrayDeque<>();
        for (Path d = p.dir(); !files.fs().exists(d); d = d.getParent()) {
            toCreate.push(d);
        }
        for (Path d : toCreate) {
            try {
                files.fs().mkdir(d);
            } catch (IOException e) {
                if (!files.fs().isDirectory(d)) {
                    throw CgroupException.of("mkdir parent cgroup", d, e);
                }
            }
            if (cpuset) {
                CpusetInit.inheritFromParent(files, d);
            }
        }
    }

    /** Limits v1 cannot express at all. */
    private Optional<String> unsupported(ResourceLimits l) {
        if (l.memorySwapMax().isPresent() && l.memoryMax().isEmpty()) {
            return Optional.of("memorySwapMax without memoryMax cannot be expressed on cgroup v1"
                    + " (memory.memsw.limit_in_bytes limits memory+swap together)");
        }
        if (l.memorySwapMax().isPresent()) {
            Parent p = parentFor("memory");
            if (p.problem().isEmpty() && files.fs().exists(p.dir())
                    && !files.fs().exists(p.dir().resolve("memory.memsw.limit_in_bytes"))) {
                return Optional.of("memorySwapMax needs memory.memsw.limit_in_bytes, missing in " + p.dir()
                        + " (swap accounting disabled; boot with swapaccount=1)");
            }
        }
        if (l.ioWeight().isPresent()) {
            Parent p = parentFor("blkio");
            if (p.problem().isEmpty() && files.fs().exists(p.dir())
                    && !files.fs().exists(p.dir().resolve("blkio.weight"))
                    && !files.fs().exists(p.dir().resolve("blkio.bfq.weight"))) {
                return Optional.of("ioWeight needs blkio.weight or blkio.bfq.weight, neither exists in " + p.dir()
                        + " (the IO scheduler has no weights)");
            }
        }
        if (!l.ioMax().isEmpty()) {
            Parent p = parentFor("blkio");
            if (p.problem().isEmpty() && files.fs().exists(p.dir())
                    && !files.fs().exists(p.dir().resolve("blkio.throttle.read_bps_device"))) {
                return Optional.of("ioMax needs blkio.throttle.read_bps_device, missing in " + p.dir()
                        + " (kernel built without CONFIG_BLK_DEV_THROTTLING)");
            }
        }
        return Optional.empty();
    }

    private static String describe(List<Parent> ps) {
        List<String> out = new ArrayList<>();
        for (Parent p : ps) {
            out.add(p.controller() + ": " + p.problem().orElse(""));
        }
        return String.join("; ", out);
    }

    /**
     * The mkdir+chown commands CI runs once, plus the property pointing at them. They name only the delegated
     * directories (strictly below each mount), never a mount point or anything above it.
     */
    private String fix(List<Parent> ps) {
        String parent = config.parent().orElse("sandboxed-ci");
        Set<String> dirs = new TreeSet<>();
        boolean unplaced = false;
        for (Parent p : ps) {
            if (p.hierarchy() == null) {
                continue;
            }
            Path dir = config.parent().isPresent() ? p.dir() : p.hierarchy().mountPoint().resolve(parent);
            if (dir != null && CgroupParentPath.isBelow(dir, p.hierarchy().mountPoint())) {
                dirs.add(dir.normalize().toString());
            } else {
                unplaced = true;
            }
        }
        if (dirs.isEmpty()) {
            return unplaced ? "run with -D" + CgroupConfig.PARENT_PROPERTY + "=<a cgroup path such as sandboxed-ci>"
                    : "mount the missing v1 controllers, or run on a cgroup v2 host";
        }
        String list = String.join(" ", dirs);
        String user = System.getProperty("user.name", "$USER");
        return "sudo mkdir -p " + list + " && sudo chown -R " + user + " " + list
                + (config.parent().isPresent() ? "" : " && run with -D" + CgroupConfig.PARENT_PROPERTY + "=" + parent);
    }
}
