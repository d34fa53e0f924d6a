package dev.sandboxed.junit;

/**
 * Attached as a suppressed exception to a failure of a test that used containers: their spec, the last output and
 * exit reasons of their processes and their resource usage, so the report shows what happened in the sandbox.
 */
public final class SandboxDiagnostics extends Exception {
    private static final long serialVersionUID = 1L;

    public SandboxDiagnostics(String report) {
        // No stack trace: it would only show the extension, and the report is what matters.
        super(report, null, false, false);
    }

    /** The full diagnostics text. */
    public String report() {
        return getMessage();
    }
}
