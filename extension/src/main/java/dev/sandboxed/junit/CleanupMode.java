package dev.sandboxed.junit;

import java.util.Locale;

/**
 * When a container's sandbox is removed, as {@code @TempDir}'s cleanup mode. A kept sandbox stays running until the
 * test run ends (or {@code sandboxed rm ID}); the report says how to enter it ({@code sandboxed exec ID -- sh}); it
 * no longer counts against {@code sandboxed.maxConcurrent}.
 */
public enum CleanupMode {
    /** Not set here: an outer level or {@code sandboxed.cleanup} decides ({@link #ALWAYS} if nothing does). */
    DEFAULT,
    /** Removed when its scope ends, whatever the outcome. */
    ALWAYS,
    /** Removed when its scope ends only if no test in it failed; kept for inspection otherwise. */
    ON_SUCCESS,
    /** Kept until the test run ends. */
    NEVER;

    static CleanupMode parse(String key, String text) {
        try {
            CleanupMode mode = valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            if (mode != DEFAULT) {
                return mode;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new SandboxedConfigurationException(key, "'" + text + "' is not a cleanup mode; expected always, on_success or never");
    }
}
