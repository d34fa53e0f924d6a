package dev.sandboxed.core.internal.runtime;

import java.util.Optional;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * What to start: a sandbox for {@code spec}, in the network (and user) namespace of {@code networkOwner} if given,
 * with {@code main} sent right behind its set-up description if given, whose output is collected as
 * {@code mainOutput} says, on the network {@code network} if given (the one its spec joins).
 */
public record StartRequest(SandboxSpec spec, Optional<RunningSandbox> networkOwner, Optional<ProcessSpec> main,
        MainOutput mainOutput, Optional<RuntimeNetwork> network) {

    /** A sandbox of its own, no process yet. */
    public static StartRequest of(SandboxSpec spec) {
        return new StartRequest(spec, Optional.empty(), Optional.empty(), MainOutput.PIPES_TO_READER, Optional.empty());
    }

    /** A sandbox in {@code owner}'s network and user namespaces. */
    public static StartRequest sharingNetworkOf(SandboxSpec spec, RunningSandbox owner) {
        return new StartRequest(spec, Optional.of(owner), Optional.empty(), MainOutput.PIPES_TO_READER, Optional.empty());
    }

    /** A sandbox that runs {@code main} as soon as it is set up and ends with it. */
    public static StartRequest withMain(SandboxSpec spec, ProcessSpec main, MainOutput output) {
        return new StartRequest(spec, Optional.empty(), Optional.of(main), output, Optional.empty());
    }

    /**
     * A sandbox for {@link OneShot#sendMain}: set up now, its main process sent later; the socket stays unread
     * until then, as for a one-shot sandbox.
     */
    public static StartRequest preparedForRun(SandboxSpec spec) {
        return new StartRequest(spec, Optional.empty(), Optional.empty(), MainOutput.COLLECT_ON_CALLER, Optional.empty());
    }

    /** The same request for {@code other}, e.g. the spec with its user names looked up. */
    public StartRequest withSpec(SandboxSpec other) {
        return new StartRequest(other, networkOwner, main, mainOutput, network);
    }

    /** The same request, the sandbox joining {@code joined} (the network its spec names). */
    public StartRequest onNetwork(RuntimeNetwork joined) {
        return new StartRequest(spec, networkOwner, main, mainOutput, Optional.of(joined));
    }
}
