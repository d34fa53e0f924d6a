package dev.sandboxed.junit;

import java.util.Objects;

/**
 * Stands in for an exception that a {@code @Sandboxed(jvm = true)} test threw in its sandboxed JVM but whose class
 * this JVM cannot load or make (a hidden or generated class, one without a usable constructor). It carries the
 * original class name, message, stack trace, cause and suppressed exceptions, and prints like the original.
 */
public final class StandInException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String originalClassName;

    public StandInException(String originalClassName, String message) {
        super(message);
        this.originalClassName = Objects.requireNonNull(originalClassName, "originalClassName");
    }

    /** The binary name of the exception's class in the sandboxed JVM. */
    public String originalClassName() {
        return originalClassName;
    }

    @Override
    public String toString() {
        String message = getLocalizedMessage();
        return message == null ? originalClassName : originalClassName + ": " + message;
    }
}
