package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where sandbox cgroups are created, and (for tests) where the host's cgroup information is read from.
 *
 * <p>{@code parent} is the configured parent cgroup (system property {@value #PARENT_PROPERTY}, CLI
 * {@value #PARENT_OPTION}). On cgroup v2 it is a path in the unified hierarchy, relative to its mount point
 * (e.g. {@code /user.slice/user-1000.slice/user@1000.service/sandboxed.slice}) or an absolute path below the
 * mount point. On v1 it is relative to every controller mount: {@code sandboxed-ci} means
 * {@code /sys/fs/cgroup/memory/sandboxed-ci}, {@code /sys/fs/cgroup/pids/sandboxed-ci}, ... Without a parent
 * this process's own cgroup is used when it is writable (see {@link CgroupManager#detect}).
 */
public final class CgroupConfig {
    /** System property / config key naming the parent cgroup. */
    public static final String PARENT_PROPERTY = "sandboxed.cgroup.parent";
    /** CLI option naming the parent cgroup. */
    public static final String PARENT_OPTION = "--cgroup-parent";

    private final String parent;
    private final Path mountinfo;
    private final Path procCgroup;
    private final Duration removeTimeout;
    private final CgroupFs fs;
    private final boolean preferV2;

    private CgroupConfig(Builder b) {
        this.preferV2 = b.preferV2;
        this.parent = b.parent;
        this.mountinfo = b.mountinfo;
        this.procCgroup = b.procCgroup;
        this.removeTimeout = b.removeTimeout;
        this.fs = b.fs;
    }

    /** This process's cgroups, no configured parent. */
    public static CgroupConfig defaults() {
        return builder().build();
    }

    /** Defaults plus the parent from the {@value #PARENT_PROPERTY} system property when set. */
    public static CgroupConfig fromSystemProperties() {
        return builder().parent(System.getProperty(PARENT_PROPERTY)).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The configured parent cgroup, if any. */
    public Optional<String> parent() {
        return Optional.ofNullable(parent);
    }

    /** The mountinfo file read by discovery, {@code /proc/self/mountinfo} unless overridden. */
    public Path mountinfoFile() {
        return mountinfo;
    }

    /** The cgroup membership file read by discovery, {@code /proc/self/cgroup} unless overridden. */
    public Path procCgroupFile() {
        return procCgroup;
    }

    /** How long close() keeps killing and retrying rmdir on EBUSY before giving up. */
    public Duration removeTimeout() {
        return removeTimeout;
    }

    CgroupFs fs() {
        return fs;
    }

    /** On a hybrid host, whether sandboxes get their cgroups in the cgroup2 tree instead of the v1 controllers. */
    public boolean preferV2() {
        return preferV2;
    }

    /** Builder; every setting is optional. */
    public static final class Builder {
        private String parent;
        private Path mountinfo = Path.of("/proc/self/mountinfo");
        private Path procCgroup = Path.of("/proc/self/cgroup");
        private Duration removeTimeout = Duration.ofSeconds(10);
        private CgroupFs fs = SystemCgroupFs.INSTANCE;
        private boolean preferV2;

        private Builder() {
        }

        /** On a hybrid host, use the cgroup2 tree (whatever controllers it has) instead of the v1 controllers. */
        public Builder preferV2(boolean value) {
            this.preferV2 = value;
            return this;
        }

        /** Parent cgroup; null or blank means none; the cgroup root or a path with '..' is refused. */
        public Builder parent(String value) {
            this.parent = value == null || value.isBlank() ? null : CgroupParentPath.check(value);
            return this;
        }

        public Builder mountinfo(Path file) {
            this.mountinfo = Objects.requireNonNull(file);
            return this;
        }

        public Builder procCgroup(Path file) {
            this.procCgroup = Objects.requireNonNull(file);
            return this;
        }

        public Builder removeTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("removeTimeout must not be negative");
            }
            this.removeTimeout = timeout;
            return this;
        }

        /** Test seam: a fake kernel. */
        Builder fs(CgroupFs value) {
            this.fs = Objects.requireNonNull(value);
            return this;
        }

        public CgroupConfig build() {
            return new CgroupConfig(this);
        }
    }
}
