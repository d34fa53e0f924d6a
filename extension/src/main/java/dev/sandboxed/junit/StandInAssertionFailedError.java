package dev.sandboxed.junit;

import java.util.Objects;

import org.opentest4j.AssertionFailedError;
import org.opentest4j.ValueWrapper;

/**
 * Stands in for a subclass of opentest4j's {@link AssertionFailedError} that a {@code @Sandboxed(jvm = true)} test
 * threw in its sandboxed JVM but that this JVM cannot load or make with its expected and actual values. It is still
 * an {@code AssertionFailedError} with the original's expected and actual (an IDE's diff view shows them) and carries
 * the original class name, message, stack trace, cause and suppressed exceptions; it prints like the original.
 */
public final class StandInAssertionFailedError extends AssertionFailedError {
    private static final long serialVersionUID = 1L;
    private final String originalClassName;

    /** One whose original defined no expected and actual values. */
    public StandInAssertionFailedError(String originalClassName, String message, Throwable cause) {
        super(message, cause);
        this.originalClassName = Objects.requireNonNull(originalClassName, "originalClassName");
    }

    /** One with the original's {@code expected} and {@code actual} values. */
    public StandInAssertionFailedError(String originalClassName, String message, ValueWrapper expected, ValueWrapper actual,
                                       Throwable cause) {
        // AssertionFailedError keeps a ValueWrapper given as a value as it is.
        super(message, expected, actual, cause);
        this.originalClassName = Objects.requireNonNull(originalClassName, "originalClassName");
    }

    /** The binary name of the error's class in the sandboxed JVM. */
    public String originalClassName() {
        return originalClassName;
    }

    @Override
    public String toString() {
        String message = getLocalizedMessage();
        return message == null ? originalClassName : originalClassName + ": " + message;
    }
}
