package dev.sandboxed.junit;

/**
 * The sandboxed JVM of a {@code @Sandboxed(jvm = true)} test ended without reporting the test's result: it exited
 * ({@code System.exit}), was killed by the OOM killer, crashed, timed out or could not start. The message names what
 * happened; the test's output went to this JVM's stdout and stderr as it came.
 */
public final class SandboxedJvmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SandboxedJvmException(String message) {
        super(message);
    }
}
