package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.List;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.spec.ResourceLimits;

/** Used when the host has no usable cgroups (or they are disabled): only limit-free sandboxes can run. */
final class NoCgroupManager implements CgroupManager {
    private final String reason;

    NoCgroupManager(String reason) {
        this.reason = reason;
    }

    @Override
    public CheckResult check(ResourceLimits limits) {
        LimitsValidator.validate(limits);
        if (limits.isEmpty()) {
            return CheckResult.warn("cgroups", reason + "; sandboxes run without resource usage stats",
                    "mount cgroup2 at /sys/fs/cgroup (or run on a host with cgroups) for usage stats");
        }
        return CheckResult.fail("cgroups", reason + "; resource limits cannot be enforced",
                "run on a Linux host with cgroups mounted at /sys/fs/cgroup, or remove the resource limits");
    }

    @Override
    public SandboxCgroup create(String sandboxId, ResourceLimits limits, boolean diesWithInit) {
        LimitsValidator.validate(limits);
        if (!limits.isEmpty()) {
            throw new CgroupException("cannot enforce resource limits for sandbox " + sandboxId + ": " + reason);
        }
        return NoopSandboxCgroup.INSTANCE;
    }

    @Override
    public List<Path> directoriesFor(String sandboxId) {
        return List.of();
    }

    @Override
    public String version() {
        return "none";
    }
}
