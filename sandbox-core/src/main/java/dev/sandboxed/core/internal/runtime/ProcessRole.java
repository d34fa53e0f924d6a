package dev.sandboxed.core.internal.runtime;

/** What a process is to its sandbox. */
public enum ProcessRole {
    /** The sandbox ends when it exits, as a container does with its entrypoint. */
    MAIN,
    /** Any other process: the sandbox outlives it. */
    EXTRA
}
