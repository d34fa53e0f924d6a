package dev.sandboxed.junit;

import org.junit.jupiter.api.extension.ExtensionConfigurationException;

import dev.sandboxed.core.spec.SpecException;

/**
 * A {@link Sandboxed} setting, a {@code sandboxed.*} configuration parameter, a {@link SandboxCustomizer} or a
 * {@code @Sandboxed} field is invalid. The test fails with this exception before any sandbox is created for it;
 * the message names the {@link #field()}, the rejected value and what is allowed, for example
 * {@code invalid memory: 'lots' is not a size; expected bytes or a number with k, m, g (e.g. 64m)}.
 */
public class SandboxedConfigurationException extends ExtensionConfigurationException {
    private static final long serialVersionUID = 1L;
    private final String field;

    /**
     * @param field   the annotation attribute ({@code memory}) or configuration parameter ({@code sandboxed.memory})
     * @param problem what is wrong with the value and what is allowed
     */
    public SandboxedConfigurationException(String field, String problem) {
        this(field, problem, null);
    }

    public SandboxedConfigurationException(String field, String problem, Throwable cause) {
        super("invalid " + field + ": " + problem, cause);
        this.field = field;
    }

    /**
     * The rejected setting: an attribute of {@link Sandboxed} such as {@code network}, a configuration parameter
     * such as {@code sandboxed.cleanup}, {@code customizers}, or a spec field a customizer set.
     */
    public String field() {
        return field;
    }

    /**
     * The core's rejection of {@code field}'s value, with {@code expected} appended unless the core's message already
     * says what is allowed.
     */
    static SandboxedConfigurationException of(String field, SpecException e, String expected) {
        return of(field, null, e, expected);
    }

    /** As {@link #of(String, SpecException, String)}, saying which {@code entry} of a list attribute was rejected. */
    static SandboxedConfigurationException of(String field, String entry, SpecException e, String expected) {
        String problem = e.getMessage();
        String prefix = e.field() + ": ";
        if (problem.startsWith(prefix)) {
            problem = problem.substring(prefix.length());
        }
        if (expected != null && !problem.contains("expected") && !problem.contains("allowed")) {
            problem += "; expected " + expected;
        }
        if (entry != null) {
            problem = "in '" + entry + "': " + problem;
        }
        return new SandboxedConfigurationException(field, problem, e);
    }

    /** The core's rejection under its own field name, e.g. a seccomp profile the runtime compiles when it starts. */
    static SandboxedConfigurationException of(SpecException e) {
        return of(e.field(), e, null);
    }
}
