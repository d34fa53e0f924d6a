package dev.sandboxed.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.runtime.SandboxStarter;
import dev.sandboxed.core.internal.state.SandboxState;

/**
 * What a JVM killed with sandboxes left in its state directory, and the check that the next runtime on that
 * directory removes all of it. Tests of a killed JVM must end with that check: their state directory is a temporary
 * one nobody else cleans, so anything the next runtime does not remove stays on the host for good.
 */
public final class LeftBehind {
    private final Path stateDir;
    private final List<SandboxState> states;

    private LeftBehind(Path stateDir, List<SandboxState> states) {
        this.stateDir = stateDir;
        this.states = states;
    }

    /** The state entries in {@code stateDir} now (entries without a state file, such as networks', left out). */
    public static LeftBehind in(Path stateDir) {
        List<SandboxState> states = new ArrayList<>();
        try (Stream<Path> entries = Files.list(stateDir)) {
            for (Path entry : entries.toList()) {
                Path state = entry.resolve("state.json");
                if (Files.isRegularFile(state)) {
                    states.add(new ObjectMapper().readValue(state.toFile(), SandboxState.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new LeftBehind(stateDir, states);
    }

    public List<SandboxState> states() {
        return states;
    }

    /**
     * Kills the keepers of the sandboxes kept after their JVM (sandboxed.keep.afterJvm) here, so that the next runtime
     * removes them whatever their maxAge: for a test's clean-up after a failure.
     */
    public LeftBehind withKeepersKilled() {
        for (SandboxState state : states) {
            if (state.keptAfterJvm() && SandboxStarter.startTime(state.ownerPid()) == state.keeperStartTime()) {
                Native.kill((int) state.ownerPid(), Native.SIGKILL);
            }
        }
        return this;
    }

    /** Opens and closes the next runtime on the state directory: no entry and no cgroup the states name may remain. */
    @SuppressWarnings("try") // creating the runtime is the act under test
    public void assertRemovedByNextRuntime() {
        RuntimeConfig config = new RuntimeConfig(Optional.of(stateDir.toString()),
                RuntimeConfig.fromSystemProperties().cgroupParent(), false, 0);
        try (SandboxRuntime next = SandboxRuntime.create(config)) {
            for (SandboxState state : states) {
                assertThat(stateDir.resolve(state.id())).as("state entry of %s", state.id()).doesNotExist();
                for (String cgroup : state.cgroups()) {
                    assertThat(Path.of(cgroup)).as("cgroup of %s", state.id()).doesNotExist();
                }
            }
        }
        try (Stream<Path> left = Files.list(stateDir)) {
            assertThat(left.toList()).as("entries left in %s", stateDir).isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
