package dev.sandboxed.core.result;


/** Why a process ended. */
public enum ExitReason {
    /** It exited by itself; see the exit code. */
    EXITED,
    /** A signal ended it; the exit code is 128 + the signal number. */
    SIGNALED,
    /** The kernel's OOM killer ended it because the sandbox reached its memory limit. */
    OOM_KILLED,
    /** It ran past its timeout and was killed. */
    TIMED_OUT,
    /** The sandbox ended (closed, or its JVM-side connection was lost) before the process did. */
    SANDBOX_ENDED,
    /** It never started: the command (or its working directory) was not found; exit code 127, as a shell gives. */
    NOT_FOUND,
    /** It never started: found, but it cannot be executed (permissions, format, set-up); exit code 126. */
    NOT_EXECUTABLE
}
