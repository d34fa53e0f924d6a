package dev.sandboxed.core.internal.runtime;

import static dev.sandboxed.core.internal.protocol.Protocol.*;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import dev.sandboxed.core.internal.hooks.HookRunner;
import dev.sandboxed.core.internal.hooks.OciState;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Where a sandbox's OCI lifecycle hooks run. prestart and createRuntime: here, as children of the JVM, while the
 * init waits before pivot_root (its mounts done). createContainer: by the init right after, as its child in every
 * namespace of the sandbox, the host's root still its root. startContainer: by the init after pivot_root, before
 * it reports ready (so before any process of the sandbox). poststart: here once the sandbox is ready; poststop: here
 * once its init exited. The first four fail the start; the last two are logged and reported.
 */
final class LifecycleHooks {
    private static final System.Logger LOG = System.getLogger(LifecycleHooks.class.getName());

    private LifecycleHooks() {
    }

    /** Whether the init must pause before pivot_root: any hook that runs before the sandbox is ready. */
    static boolean pauses(SandboxSpec spec) {
        return spec.hooks().stream().anyMatch(h -> h.stage().fatal());
    }

    /** The create message's part: the pause, and the hooks the init runs itself. */
    static void describe(Message create, SandboxSpec spec) {
        if (!pauses(spec)) {
            return;
        }
        create.putU32(F_HOOK_PAUSE, 1);
        for (Hook h : spec.hooks()) {
            if (h.stage().inContainer()) {
                create.put(F_HOOK, encode(h));
            }
        }
    }

    static byte[] encode(Hook h) {
        List<String> strings = new ArrayList<>();
        strings.add(h.path());
        strings.addAll(h.args());
        strings.addAll(h.env());
        byte[] text = Message.nulSeparated(strings);
        int stage = h.stage() == Hook.Stage.CREATE_CONTAINER ? HOOK_STAGE_CREATE_CONTAINER : HOOK_STAGE_START_CONTAINER;
        long timeout = Math.min(h.timeout().toMillis(), 0xffff_ffffL);
        return ByteBuffer.allocate(HOOK_STRINGS + text.length).order(ByteOrder.nativeOrder())
                .putInt(HOOK_STAGE, stage).putInt(HOOK_TIMEOUT_MS, (int) Math.max(1, timeout))
                .putInt(HOOK_ARGC, h.args().size()).putInt(HOOK_ENVC, h.env().size())
                .put(HOOK_STRINGS, text).array();
    }

    /** The state every hook of {@code sandbox} gets, as created. */
    static OciState state(RunningSandbox sandbox, String bundle) {
        return new OciState(sandbox.id(), OciState.Status.CREATING, sandbox.initPid(), bundle,
                Map.of("dev.sandboxed.hostname", sandbox.spec().hostname()));
    }

    /**
     * With the init paused before pivot_root: prestart and createRuntime hooks, then the go-ahead with the states
     * the init's createContainer ({@code creating}) and startContainer ({@code created}) hooks get.
     */
    static void beforePivot(RunningSandbox sandbox, OciState state) {
        SandboxSpec spec = sandbox.spec();
        if (!pauses(spec)) {
            return;
        }
        InitConnection connection = sandbox.connection();
        connection.allowForHooks(spec.hooks().stream().filter(h -> h.stage().inContainer()).map(Hook::timeout)
                .reduce(Duration.ZERO, Duration::plus));
        connection.awaitHooksPaused();
        for (Hook.Stage stage : List.of(Hook.Stage.PRESTART, Hook.Stage.CREATE_RUNTIME)) {
            for (Hook h : spec.hooks(stage)) {
                Optional<String> failure = HookRunner.run(h, state.json());
                if (failure.isPresent()) {
                    throw connection.failPausedStart(new SandboxException(failure.get(), 0));
                }
            }
        }
        connection.socket().send(Message.of(K_HOOKS_GO).putString(F_HOOK_STATE, state.json())
                .putString(F_HOOK_STATE, state.withStatus(OciState.Status.CREATED).json()));
    }

    /** The poststop hooks to record for a sandbox kept after its JVM, if it has any. */
    static Optional<SandboxState.Poststop> poststop(SandboxSpec spec, OciState stopped) {
        List<SandboxState.RecordedHook> hooks = spec.hooks(Hook.Stage.POSTSTOP).stream()
                .map(h -> new SandboxState.RecordedHook(h.path(), h.args(), h.env(), h.timeout().toMillis())).toList();
        return hooks.isEmpty() ? Optional.empty() : Optional.of(new SandboxState.Poststop(stopped.json(), hooks));
    }

    /**
     * Runs the poststop hooks recorded for a sandbox kept after its JVM (its init is gone): each failure is handed to
     * {@code failures}, never thrown.
     */
    static void runRecorded(SandboxState.Poststop poststop, Consumer<String> failures) {
        for (SandboxState.RecordedHook r : poststop.hooks()) {
            Optional<String> failure;
            try {
                Hook h = new Hook(Hook.Stage.POSTSTOP, r.path(), r.args(), r.env(), Duration.ofMillis(r.timeoutMillis()));
                failure = HookRunner.run(h, poststop.stateJson());
            } catch (RuntimeException e) { // an entry edited by hand: not a hook the spec could have had
                failure = Optional.of("poststop hook " + r.path() + ": not run: " + e.getMessage());
            }
            failure.ifPresent(failures);
        }
    }

    /** Runs the poststart or poststop hooks: a failure is logged and returned, never thrown. */
    static List<String> runReported(SandboxSpec spec, Hook.Stage stage, OciState state) {
        List<String> failures = new ArrayList<>();
        for (Hook h : spec.hooks(stage)) {
            HookRunner.run(h, state.json()).ifPresent(failure -> {
                LOG.log(Level.WARNING, "sandbox " + state.id() + ": " + failure);
                failures.add(failure);
            });
        }
        return failures;
    }
}
