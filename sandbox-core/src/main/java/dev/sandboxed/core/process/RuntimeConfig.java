package dev.sandboxed.core.process;

import java.util.Optional;

/**
 * Host-side settings of a {@link SandboxRuntime}, usually from {@code sandboxed.*} system properties.
 *
 * @param stateDirectory where sandbox state lives ({@code sandboxed.state.dir}); default per user
 * @param cgroupParent   cgroup under which sandboxes get theirs ({@code sandboxed.cgroup.parent})
 */
public record RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent) {
    public static final String STATE_DIR_PROPERTY = "sandboxed.state.dir";
    public static final String CGROUP_PARENT_PROPERTY = "sandboxed.cgroup.parent";

    public static RuntimeConfig fromSystemProperties() {
        return new RuntimeConfig(property(STATE_DIR_PROPERTY), property(CGROUP_PARENT_PROPERTY));
    }

    public RuntimeConfig withCgroupParent(String parent) {
        return new RuntimeConfig(stateDirectory, Optional.ofNullable(parent).filter(s -> !s.isBlank()));
    }

    private static Optional<String> property(String name) {
        return Optional.ofNullable(System.getProperty(name)).filter(s -> !s.isBlank());
    }
}
