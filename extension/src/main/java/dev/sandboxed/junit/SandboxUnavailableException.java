package dev.sandboxed.junit;

/**
 * This host cannot run the sandbox a test asks for (no user namespaces; or no cgroup delegation when a limit is
 * requested). The message explains why and how to fix it. With {@code sandboxed.unsupported=skip} such tests are
 * reported as skipped with the same text instead.
 */
public class SandboxUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SandboxUnavailableException(String message) {
        super(message);
    }
}
