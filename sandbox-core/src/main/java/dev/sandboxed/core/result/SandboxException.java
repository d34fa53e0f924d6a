package dev.sandboxed.core.result;


/**
 * A sandbox could not be created or a process could not be started. The message names the step
 * that failed and the errno, for example {@code mount proc on /proc: Operation not permitted (EPERM)}.
 */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String step;
    private final int errno;

    public SandboxException(String step, int errno) {
        super(errno == 0 ? step : step + ": " + Errno.describe(errno));
        this.step = step;
        this.errno = errno;
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
        this.step = message;
        this.errno = 0;
    }

    /** The step that failed, for example {@code mount proc on /proc}. */
    public String step() {
        return step;
    }

    /** The errno reported for the step, or 0 when the failure has none. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno, for example {@code EPERM}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
