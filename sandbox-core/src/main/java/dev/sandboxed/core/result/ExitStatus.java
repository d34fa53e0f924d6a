package dev.sandboxed.core.result;

import java.util.OptionalInt;

/**
 * How a process ended: the exit code as a shell reports it (128+N for signal N), the signal, and the reason.
 */
public record ExitStatus(int exitCode, OptionalInt signal, ExitReason reason) {

    /** Decodes a raw wait(2) status. */
    public static ExitStatus fromWaitStatus(int status) {
        int termSig = status & 0x7f;
        if (termSig == 0) {
            return new ExitStatus((status >> 8) & 0xff, OptionalInt.empty(), ExitReason.EXITED);
        }
        return new ExitStatus(128 + termSig, OptionalInt.of(termSig), ExitReason.SIGNALED);
    }

    /**
     * The status of a process that could not be started, as a shell reports it: 127 when the command was not found
     * (ENOENT from {@code execute ...}), else 126 (for example a missing working directory: {@code chdir ...}).
     */
    public static ExitStatus notStarted(String step, int errno) {
        return errno == Errno.ENOENT && step.startsWith("execute ")
                ? new ExitStatus(127, OptionalInt.empty(), ExitReason.NOT_FOUND)
                : new ExitStatus(126, OptionalInt.empty(), ExitReason.NOT_EXECUTABLE);
    }

    public ExitStatus withReason(ExitReason newReason) {
        return new ExitStatus(exitCode, signal, newReason);
    }

    public boolean succeeded() {
        return reason == ExitReason.EXITED && exitCode == 0;
    }

    @Override
    public String toString() {
        return switch (reason) {
            case EXITED -> "exited with code " + exitCode;
            case SIGNALED -> "killed by signal " + signal.orElse(0) + " (exit code " + exitCode + ")";
            case OOM_KILLED -> "killed by the OOM killer (memory limit reached, exit code " + exitCode + ")";
            case TIMED_OUT -> "timed out and was killed (exit code " + exitCode + ")";
            case SANDBOX_ENDED -> "ended with its sandbox (exit code " + exitCode + ")";
            case NOT_FOUND -> "could not start: not found (exit code " + exitCode + ")";
            case NOT_EXECUTABLE -> "could not start: cannot execute (exit code " + exitCode + ")";
        };
    }
}
