package dev.sandboxed.junit;

/**
 * A background process did not print the awaited output in time, or ended without printing it. The message
 * shows the pattern, how the process ended and its last output.
 */
public class AwaitTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AwaitTimeoutException(String message) {
        super(message);
    }
}
