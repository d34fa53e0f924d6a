package dev.sandboxed.core.result;

/**
 * A blocking call (run, exec, start, waitFor) was interrupted: what it started was killed, the thread's interrupt
 * flag is set again, and the cause is the {@link InterruptedException}.
 */
public class SandboxInterruptedException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public SandboxInterruptedException(String message, InterruptedException cause) {
        super(message, cause);
    }

    /** Restores the calling thread's interrupt flag and returns the exception to throw. */
    public static SandboxInterruptedException restoringFlag(String message, InterruptedException cause) {
        Thread.currentThread().interrupt();
        return new SandboxInterruptedException(message, cause);
    }
}
