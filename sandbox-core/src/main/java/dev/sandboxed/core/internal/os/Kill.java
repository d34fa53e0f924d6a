package dev.sandboxed.core.internal.os;

/** SIGKILL through the JDK, which needs no native call of ours and checks the process's start time before it kills. */
public final class Kill {
    private Kill() {
    }

    /** Kills {@code pid} if it runs (a zombie or a gone pid is left alone); true if the signal was sent. */
    public static boolean forcibly(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
    }
}
