package dev.sandboxed.core;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import dev.sandboxed.core.internal.cgroup.CgroupParentPath;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;

/**
 * Host-side settings of a {@link SandboxRuntime}, usually from {@code sandboxed.*} system properties.
 *
 * @param stateDirectory where sandbox state lives ({@code sandboxed.state.dir}); default per user
 * @param cgroupParent   cgroup under which sandboxes get theirs ({@code sandboxed.cgroup.parent})
 * @param prestart       from a spec's second {@link SandboxRuntime#start(SandboxSpec)}, keep its next sandbox
 *                       started in the background, so the next start takes one that is ready
 *                       ({@code sandboxed.prestart}, default true). One sandbox for each of the two specs prestarted
 *                       last; a spec whose sandbox was pushed out unused by another skips its next one. It is not
 *                       used when a fresh one would differ (as for {@code prepareRuns}), is closed after 30 s
 *                       unused, and holds its cgroup and its binds' mounts until then. Not for the specs
 *                       {@code prepareRuns} leaves out, starts that share a network or have a main process, and the
 *                       JUnit extension's own containers (it starts the next test's ahead itself).
 * @param cgroupPool     how many cgroups to keep made ahead for each of the last-used limits
 *                       ({@code sandboxed.cgroup.pool}, default {@value #DEFAULT_CGROUP_POOL}, 0 to make each at
 *                       start). A one-shot command line sets 0: nothing would take them.
 * @param cgroupV2       on a host with v1 controllers and a cgroup2 tree beside them (hybrid), put sandboxes in the
 *                       cgroup2 tree ({@code sandboxed.cgroup.version=v2}; default {@code auto}: the v1 controllers,
 *                       which are the ones that enforce limits there). Elsewhere it changes nothing.
 * @param keepAfterJvm   a sandbox kept with {@link Sandbox#keep()} outlives this JVM, held by a keeper process
 *                       ({@code sandboxed.keep.afterJvm}, default false: it ends with the JVM)
 * @param keepMaxAge     how long such a sandbox stays after it was kept: then the next runtime's stale clean-up (or,
 *                       a minute later, its keeper) removes it ({@code sandboxed.keep.maxAge}, default 1h)
 * @param prepareRuns    after {@link SandboxRuntime#run} returns, set up the next sandbox of that spec in the
 *                       background, so the next run of the spec only starts its process
 *                       ({@code sandboxed.run.prepareAhead}, default true). One is not used when a fresh one would
 *                       differ (a bind source replaced, the host's mount table, root directory or seccomp profile
 *                       file changed, the user name resolves otherwise): a run then sets up its own, as without the
 *                       setting. One nobody takes is closed after 30 s. Kept for the two specs run last; a spec whose
 *                       sandbox was pushed out unused by another skips its next one.
 */
public record RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent, boolean prestart,
        int cgroupPool, boolean cgroupV2, boolean keepAfterJvm, Duration keepMaxAge, boolean prepareRuns) {
    public static final String STATE_DIR_PROPERTY = "sandboxed.state.dir";
    public static final String CGROUP_PARENT_PROPERTY = "sandboxed.cgroup.parent";
    public static final String PRESTART_PROPERTY = "sandboxed.prestart";
    public static final String CGROUP_POOL_PROPERTY = "sandboxed.cgroup.pool";
    public static final String CGROUP_VERSION_PROPERTY = "sandboxed.cgroup.version";
    public static final String KEEP_AFTER_JVM_PROPERTY = "sandboxed.keep.afterJvm";
    public static final String KEEP_MAX_AGE_PROPERTY = "sandboxed.keep.maxAge";
    public static final String PREPARE_RUNS_PROPERTY = "sandboxed.run.prepareAhead";
    public static final Duration DEFAULT_KEEP_MAX_AGE = Duration.ofHours(1);
    public static final int DEFAULT_CGROUP_POOL = 2;
    /** More would only hold kernel memory: a start takes one, and one is made while the sandbox runs. */
    public static final int MAX_CGROUP_POOL = 16;

    public RuntimeConfig {
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(cgroupParent, "cgroupParent");
        if (cgroupPool < 0 || cgroupPool > MAX_CGROUP_POOL) {
            throw new SpecException(CGROUP_POOL_PROPERTY, "must be between 0 and " + MAX_CGROUP_POOL + ", was "
                    + cgroupPool);
        }
        cgroupParent.filter(p -> !p.isBlank()).ifPresent(CgroupParentPath::check); // fails before anything exists
        Objects.requireNonNull(keepMaxAge, "keepMaxAge");
        Sizes.checkDuration(KEEP_MAX_AGE_PROPERTY, "'" + keepMaxAge + "'", keepMaxAge);
    }

    public RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent, boolean prestart,
            int cgroupPool, boolean cgroupV2, boolean keepAfterJvm, Duration keepMaxAge) {
        this(stateDirectory, cgroupParent, prestart, cgroupPool, cgroupV2, keepAfterJvm, keepMaxAge, true);
    }

    public RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent, boolean prestart,
            int cgroupPool, boolean cgroupV2) {
        this(stateDirectory, cgroupParent, prestart, cgroupPool, cgroupV2, false, DEFAULT_KEEP_MAX_AGE);
    }

    public RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent, boolean prestart,
            int cgroupPool) {
        this(stateDirectory, cgroupParent, prestart, cgroupPool, false);
    }

    public RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent, boolean prestart) {
        this(stateDirectory, cgroupParent, prestart, DEFAULT_CGROUP_POOL);
    }

    public RuntimeConfig(Optional<String> stateDirectory, Optional<String> cgroupParent) {
        this(stateDirectory, cgroupParent, true);
    }

    public static RuntimeConfig fromSystemProperties() {
        return from(RuntimeConfig::property);
    }

    /**
     * From the {@code sandboxed.*} keys as {@code lookup} finds them (blank counts as absent), e.g. JUnit
     * configuration parameters that fall back to system properties.
     */
    public static RuntimeConfig from(Function<String, Optional<String>> lookup) {
        Objects.requireNonNull(lookup, "lookup");
        Function<String, Optional<String>> get = key -> lookup.apply(key).filter(v -> !v.isBlank());
        return new RuntimeConfig(get.apply(STATE_DIR_PROPERTY), get.apply(CGROUP_PARENT_PROPERTY),
                get.apply(PRESTART_PROPERTY).map(v -> parseBoolean(PRESTART_PROPERTY, v)).orElse(true),
                get.apply(CGROUP_POOL_PROPERTY).map(RuntimeConfig::parsePool).orElse(DEFAULT_CGROUP_POOL),
                get.apply(CGROUP_VERSION_PROPERTY).map(RuntimeConfig::parseCgroupVersion).orElse(false),
                get.apply(KEEP_AFTER_JVM_PROPERTY).map(RuntimeConfig::parseKeepAfterJvm).orElse(false),
                get.apply(KEEP_MAX_AGE_PROPERTY).map(v -> Sizes.parseDuration(KEEP_MAX_AGE_PROPERTY, v))
                        .orElse(DEFAULT_KEEP_MAX_AGE),
                get.apply(PREPARE_RUNS_PROPERTY).map(v -> parseBoolean(PREPARE_RUNS_PROPERTY, v)).orElse(true));
    }

    /** {@code true} or {@code false} as written in a property or configuration parameter. */
    public static boolean parseKeepAfterJvm(String text) {
        return parseBoolean(KEEP_AFTER_JVM_PROPERTY, text);
    }

    /** {@code true} or {@code false} as written for {@code key}; anything else names the key and the two values. */
    private static boolean parseBoolean(String key, String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new SpecException(key, "'" + text + "'; allowed: true, false");
        };
    }

    /** {@code auto} or {@code v2} as written in a property or configuration parameter: whether v2 is asked for. */
    public static boolean parseCgroupVersion(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> false;
            case "v2" -> true;
            default -> throw new SpecException(CGROUP_VERSION_PROPERTY, "'" + text + "'; allowed: auto, v2");
        };
    }

    /** A pool depth as written in a property or configuration parameter. */
    public static int parsePool(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new SpecException(CGROUP_POOL_PROPERTY, "'" + text + "' is not a number; use 0 to "
                    + MAX_CGROUP_POOL + " cgroups per limits (0 turns the pool off)");
        }
    }

    public RuntimeConfig withCgroupParent(String parent) {
        return new RuntimeConfig(stateDirectory, Optional.ofNullable(parent).filter(s -> !s.isBlank()), prestart,
                cgroupPool, cgroupV2, keepAfterJvm, keepMaxAge, prepareRuns);
    }

    public RuntimeConfig withPrestart(boolean value) {
        return new RuntimeConfig(stateDirectory, cgroupParent, value, cgroupPool, cgroupV2, keepAfterJvm, keepMaxAge, prepareRuns);
    }

    public RuntimeConfig withCgroupPool(int depth) {
        return new RuntimeConfig(stateDirectory, cgroupParent, prestart, depth, cgroupV2, keepAfterJvm, keepMaxAge, prepareRuns);
    }

    public RuntimeConfig withCgroupV2(boolean value) {
        return new RuntimeConfig(stateDirectory, cgroupParent, prestart, cgroupPool, value, keepAfterJvm, keepMaxAge, prepareRuns);
    }

    /** Sandboxes kept with {@link Sandbox#keep()} outlive this JVM for at most {@code maxAge} (see the parameters). */
    public RuntimeConfig withKeepAfterJvm(boolean value, Duration maxAge) {
        return new RuntimeConfig(stateDirectory, cgroupParent, prestart, cgroupPool, cgroupV2, value, maxAge, prepareRuns);
    }

    /** Whether {@link SandboxRuntime#run} sets up the next sandbox of a spec ahead (see the parameters). */
    public RuntimeConfig withPrepareRuns(boolean value) {
        return new RuntimeConfig(stateDirectory, cgroupParent, prestart, cgroupPool, cgroupV2, keepAfterJvm, keepMaxAge,
                value);
    }

    private static Optional<String> property(String name) {
        return Optional.ofNullable(System.getProperty(name)).filter(s -> !s.isBlank());
    }
}
