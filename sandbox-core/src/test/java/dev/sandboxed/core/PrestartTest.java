package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.control.ControlServer;
import dev.sandboxed.core.internal.runtime.PrestartOptOut;
import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Sandboxes started ahead of time are fresh, match their spec exactly, and never outlive the runtime. */
@RequiresSandbox
class PrestartTest {

    @Test
    void theNextSandboxOfASpecIsFreshAndSeparate() {
        SandboxSpec spec = SandboxSpec.builder().hostname("warm").env("MARK", "1").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(true))) {
            int firstPid;
            try (Sandbox first = runtime.start(spec)) {
                firstPid = first.pid();
                first.exec("sh", "-c", "echo left-behind > /tmp/marker");
            }
            assertThat(Probes.eventually(10, () -> true)).isTrue();
            for (int i = 0; i < 3; i++) {
                try (Sandbox next = runtime.start(spec)) {
                    assertThat(next.pid()).isNotEqualTo(firstPid);
                    assertThat(next.exec("sh", "-c", "test -e /tmp/marker && echo dirty || echo clean").stdout()).isEqualTo("clean\n");
                    assertThat(next.exec("hostname").stdout()).isEqualTo("warm\n");
                    assertThat(next.exec("sh", "-c", "echo $MARK").stdout()).isEqualTo("1\n");
                    assertThat(runtime.openSandboxes()).containsExactly(next);
                }
            }
            // A different spec never gets a sandbox prepared for another one.
            try (Sandbox other = runtime.start(SandboxSpec.builder().hostname("cold").build())) {
                assertThat(other.exec("hostname").stdout()).isEqualTo("cold\n");
            }
        }
    }

    @Test
    void closingTheRuntimeStopsPrestartedSandboxes(@TempDir Path stateDir) {
        SandboxRuntime runtime = prestartingInto(stateDir);
        startedTwice(runtime, SandboxSpec.defaults()); // the prestart done, the closed sandboxes' entries removed
        // The prestarted one shows up in the state directory (it is cleaned like any other after a crash).
        assertThat(countEntries(stateDir)).isEqualTo(1);
        runtime.close();
        assertThat(countEntries(stateDir)).isZero();
    }

    @Test
    void prestartIsOnByDefault() {
        assertThat(new RuntimeConfig(Optional.empty(), Optional.empty()).prestart()).isTrue();
        assertThat(RuntimeConfig.from(key -> Optional.empty()).prestart()).isTrue();
        assertThat(RuntimeConfig.from(
                key -> Optional.of("false").filter(v -> key.equals(RuntimeConfig.PRESTART_PROPERTY))).prestart()).isFalse();
    }

    @Test
    void aSpecStartedOnceGetsNoSandboxAheadOneStartedAgainDoes(@TempDir Path stateDir) {
        SandboxSpec spec = SandboxSpec.builder().hostname("once").build();
        try (SandboxRuntime runtime = prestartingInto(stateDir)) {
            runtime.start(spec).close();
            runtime.start(SandboxSpec.builder().hostname("other").build()).close();
            runtime.awaitIdle();
            assertThat(countEntries(stateDir)).isZero();
            runtime.start(spec).close();
            runtime.awaitIdle();
            assertThat(countEntries(stateDir)).isEqualTo(1);
            try (Sandbox third = runtime.start(spec)) {
                assertThat(runtime.prestartsTaken()).isEqualTo(1);
                assertThat(third.exec("hostname").stdout()).isEqualTo("once\n");
            }
        }
    }

    @Test
    void anInterruptedStartThrowsAlsoWithASandboxReady() {
        SandboxSpec spec = SandboxSpec.builder().hostname("interrupted").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(true))) {
            startedTwice(runtime, spec);
            assertThat(runtime.prestartedNow()).hasSize(1);
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> runtime.start(spec)).isInstanceOf(SandboxInterruptedException.class);
            assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
            assertThat(runtime.openSandboxes()).isEmpty();
            assertThat(runtime.prestartedNow()).hasSize(1); // still there for the next start
        }
    }

    @Test
    void aPrestartedSandboxIsListedForOperationsOnlyOnceAStartTakesIt() {
        SandboxSpec spec = SandboxSpec.builder().hostname("unlisted").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(true))) {
            startedTwice(runtime, spec);
            String id = runtime.prestartedNow().get(0).id();
            // Nobody can `sandboxed exec` into it before a start hands it out as fresh.
            assertThat(ControlServer.shared().isRegistered(id)).isFalse();
            try (Sandbox taken = runtime.start(spec)) {
                assertThat(taken.id()).isEqualTo(id);
                assertThat(ControlServer.shared().isRegistered(id)).isTrue();
            }
            assertThat(ControlServer.shared().isRegistered(id)).isFalse();
        }
    }

    @Test
    void startsWithinTheOptOutPrestartNothing(@TempDir Path stateDir) {
        try (SandboxRuntime runtime = prestartingInto(stateDir)) {
            for (int i = 0; i < 3; i++) {
                PrestartOptOut.during(() -> runtime.start(SandboxSpec.defaults())).close();
            }
            runtime.awaitIdle();
            assertThat(countEntries(stateDir)).isZero();
            assertThat(runtime.prestartsTaken()).isZero();
        }
    }

    @Test
    void prestartCanBeSwitchedOff(@TempDir Path stateDir) {
        try (SandboxRuntime runtime = SandboxRuntime.create(new RuntimeConfig(Optional.of(stateDir.toString()), Optional.empty(), false, 0))) {
            runtime.start(SandboxSpec.defaults()).close();
            runtime.awaitIdle();
            assertThat(countEntries(stateDir)).isZero();
        }
    }

    /** Starts and closes {@code spec} twice, the second start's prestart done: one sandbox of it is ready. */
    private static void startedTwice(SandboxRuntime runtime, SandboxSpec spec) {
        runtime.start(spec).close();
        runtime.start(spec).close(); // prestarting begins at a spec's second start
        runtime.awaitIdle();
    }

    /** A runtime that prestarts, with its state in {@code stateDir} and no cgroups made ahead (no entries of theirs). */
    private static SandboxRuntime prestartingInto(Path stateDir) {
        return SandboxRuntime.create(new RuntimeConfig(Optional.of(stateDir.toString()), Optional.empty(), true, 0));
    }

    private static long countEntries(Path dir) {
        try (var s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
