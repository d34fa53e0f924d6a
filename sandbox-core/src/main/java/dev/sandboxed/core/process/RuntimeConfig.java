package dev.sandboxed.core.process;

import java.util.Optional;

/**
 * Host-side settings of a {@link SandboxRuntime}, usually from {@code sandboxed.*} system properties.
 *
 * @param stateDirectory where sandbox state lives ({@code sandboxed.state.dir}); default per user
 * @param cgroupParent   cgroup under which sandboxes get theirs ({@code sandboxed.cgroup.parent})
 * @param prestart       keep the next sandbox of the last-used specs started in the background
 *                       ({@code sandboxed.prestart}, default false), so a start takes one that is ready. Off by
 *                       default: a prestarted sandbox binds its mounts when it is prepared, so a bind source
 *                       that is deleted and re-created in between would show the old directory; and on a
 *                       2-core machine the background start competes with the foreground work (see bench).
 */
public record RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent, boolean prestart) {
    public static final String STATE_DIR_PROPERTY = "sandboxed.state.dir";
    public static final String CGROUP_PARENT_PROPERTY = "sandboxed.cgroup.parent";
    public static final String PRESTART_PROPERTY = "sandboxed.prestart";

    public RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent) {
        this(stateDirectory, cgroupParent, false);
    }

    public static RuntimeConfig fromSystemProperties() {
        return new RuntimeConfig(property(STATE_DIR_PROPERTY), property(CGROUP_PARENT_PROPERTY),
                "true".equalsIgnoreCase(property(PRESTART_PROPERTY).orElse("false")));
    }

    public RuntimeConfig withCgroupParent(String parent) {
        return new RuntimeConfig(stateDirectory, Optional.ofNullable(parent).filter(s -> !s.isBlank()), prestart);
    }

    public RuntimeConfig withPrestart(boolean value) {
        return new RuntimeConfig(stateDirectory, cgroupParent, value);
    }

    private static Optional<String> property(String name) {
        return Optional.ofNullable(System.getProperty(name)).filter(s -> !s.isBlank());
    }
}
