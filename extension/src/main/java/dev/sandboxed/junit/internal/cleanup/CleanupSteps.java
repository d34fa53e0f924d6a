package dev.sandboxed.junit.internal.cleanup;

/**
 * Runs every step of a clean-up even when one fails, so one container that will not close does not leave the rest
 * running; the first failure is thrown at the end, the others suppressed in it.
 */
public final class CleanupSteps {
    private RuntimeException failure;

    public void run(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
    }

    /** Throws the first failure of the steps run, if any. */
    public void throwFirstFailure() {
        if (failure != null) {
            throw failure;
        }
    }
}
