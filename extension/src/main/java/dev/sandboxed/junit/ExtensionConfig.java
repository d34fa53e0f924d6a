package dev.sandboxed.junit;

import java.util.Locale;
import java.util.Optional;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.spec.SpecException;

/**
 * The {@code sandboxed.*} configuration parameters, read through JUnit (junit-platform.properties, system
 * properties, Surefire's {@code configurationParameters}).
 */
final class ExtensionConfig {
    static final String ROOTFS = "sandboxed.rootfs";
    static final String MEMORY = "sandboxed.memory";
    static final String CPUS = "sandboxed.cpus";
    static final String PIDS = "sandboxed.pids";
    static final String NETWORK = "sandboxed.network";
    static final String SECCOMP = "sandboxed.seccomp";
    static final String TIMEOUT = "sandboxed.timeout";
    static final String CLEANUP = "sandboxed.cleanup";
    /** Comma-separated {@link SandboxCustomizer} classes applied to every container, before any annotation's. */
    static final String CUSTOMIZERS = "sandboxed.customizers";
    static final String STATE_DIR = RuntimeConfig.STATE_DIR_PROPERTY;
    static final String CGROUP_PARENT = RuntimeConfig.CGROUP_PARENT_PROPERTY;
    static final String MAX_CONCURRENT = "sandboxed.maxConcurrent";
    static final String UNSUPPORTED = "sandboxed.unsupported";
    static final String DIAGNOSTIC_LINES = "sandboxed.diagnostics.lines";
    /** Start the next test's sandbox while a test runs (see {@link PreparedAhead}); on unless set to false. */
    static final String PREPARE_AHEAD = "sandboxed.prepareAhead";
    /** Treats the host as unsupported with the given reason: lets a build check its fail/skip policy anywhere. */
    static final String SIMULATE_UNSUPPORTED = "sandboxed.unsupported.simulate";

    /** What to do when the host cannot run the sandbox a test asks for. */
    enum UnsupportedPolicy { FAIL, SKIP }

    private final ExtensionContext context;

    ExtensionConfig(ExtensionContext context) {
        this.context = context;
    }

    Optional<String> get(String key) {
        return context.getConfigurationParameter(key).map(String::trim).filter(s -> !s.isEmpty());
    }

    /** The value as the test's launcher gives it, not trimmed and also when empty: what a test would read in place. */
    Optional<String> raw(String key) {
        return context.getConfigurationParameter(key);
    }

    RuntimeConfig runtimeConfig() {
        // A key the configuration leaves out falls back to the system property, as the shared runtime reads it.
        try {
            return RuntimeConfig.from(key -> get(key).or(() -> Optional.ofNullable(System.getProperty(key))));
        } catch (SpecException e) {
            throw SandboxedConfigurationException.of(e.field(), e, null);
        }
    }

    int maxConcurrent() {
        int fallback = Math.max(4, 4 * Runtime.getRuntime().availableProcessors());
        return get(MAX_CONCURRENT).map(text -> {
            try {
                int value = Integer.parseInt(text);
                if (value > 0) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new SandboxedConfigurationException(MAX_CONCURRENT, "'" + text + "' is not a positive whole number; "
                    + "expected the number of sandboxes allowed at once such as 8");
        }).orElse(fallback);
    }

    UnsupportedPolicy unsupportedPolicy() {
        return get(UNSUPPORTED).map(text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "fail" -> UnsupportedPolicy.FAIL;
            case "skip" -> UnsupportedPolicy.SKIP;
            default -> throw new SandboxedConfigurationException(UNSUPPORTED, "'" + text + "' is not a policy; expected fail or skip");
        }).orElse(UnsupportedPolicy.FAIL);
    }

    int diagnosticLines() {
        return get(DIAGNOSTIC_LINES).map(text -> {
            try {
                int value = Integer.parseInt(text);
                if (value >= 0) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new SandboxedConfigurationException(DIAGNOSTIC_LINES, "'" + text + "' is not a whole number >= 0; "
                    + "expected the output lines shown per process such as 20");
        }).orElse(20);
    }

    boolean prepareAhead() {
        return get(PREPARE_AHEAD).map(text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new SandboxedConfigurationException(PREPARE_AHEAD, "'" + text + "' is not a switch; expected true or false");
        }).orElse(true);
    }

    Optional<String> simulatedUnsupportedReason() {
        return get(SIMULATE_UNSUPPORTED);
    }
}
