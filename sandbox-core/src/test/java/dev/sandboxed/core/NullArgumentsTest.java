package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Optional;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Every public entry point refuses a null at once, naming the parameter; nothing starts first. */
class NullArgumentsTest {
    private static final SandboxSpec SPEC = SandboxSpec.defaults();
    private static final ProcessSpec TRUE = ProcessSpec.of("/bin/true");

    @Test
    void staticEntryPointsNameTheNullParameter() {
        rejects(() -> Sandbox.run(SPEC, null), "process");
        rejects(() -> Sandbox.run(null, TRUE), "spec");
        rejects(() -> Sandbox.start(null), "spec");
        rejects(() -> SandboxRuntime.create(null), "config");
        rejects(() -> RuntimeConfig.from(null), "lookup");
        rejects(() -> new RuntimeConfig(null, Optional.empty()), "stateDirectory");
    }

    @Test
    void runtimeEntryPointsNameTheNullParameter() {
        SandboxRuntime runtime = SandboxRuntime.shared();
        rejects(() -> runtime.run(SPEC, null), "process");
        rejects(() -> runtime.run(null, TRUE), "spec");
        rejects(() -> runtime.start(null), "spec");
        rejects(() -> runtime.start(null, null), "spec");
        rejects(() -> runtime.startWithMain(SPEC, null), "main");
        rejects(() -> runtime.limitsUnsupported(null), "limits");
    }

    @Test
    @RequiresSandbox
    void sandboxEntryPointsNameTheNullParameter() {
        try (Sandbox sandbox = Sandbox.start(SPEC)) {
            rejects(() -> sandbox.exec((ProcessSpec) null), "process");
            rejects(() -> sandbox.exec((String[]) null), "command");
            rejects(() -> sandbox.spawn(null), "process");
            rejects(() -> sandbox.runMain(null), "process");
            rejects(() -> sandbox.startSharingNetwork(null), "other");
            rejects(() -> sandbox.waitFor(null), "timeout");
            rejects(() -> sandbox.stop(null), "grace");
            SandboxProcess sleeper = sandbox.spawn(ProcessSpec.of("sleep", "60"));
            rejects(() -> sleeper.waitFor(null), "timeout");
        }
    }

    /** Bounded: before the fix a null process reached the init and failed 10 s later. */
    private static void rejects(ThrowingCallable call, String parameter) {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThatThrownBy(call)
                .isInstanceOf(NullPointerException.class).hasMessage(parameter));
    }
}
