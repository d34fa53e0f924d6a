package dev.sandboxed.core.internal.runtime;

/** How the output of a sandbox's main process (sent with its set-up) is collected. */
public enum MainOutput {
    /**
     * Its pipes become streams for the caller, and the sandbox's reader thread takes the socket once the sandbox
     * is ready, as for any sandbox that stays up.
     */
    PIPES_TO_READER,
    /**
     * A one-shot sandbox: the starting thread keeps the socket and collects the pipes and messages itself in one
     * poll loop ({@link OneShot}), with no reader or drainer thread to wake.
     */
    COLLECT_ON_CALLER
}
