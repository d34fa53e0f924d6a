package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** What {@link Sandbox#id()} (and the extension's {@code Container.id()}) says the id names. */
@RequiresSandbox
@SuppressWarnings("try") // the sandbox is held open for its scope only
class SandboxIdTest {
    private static RuntimeConfig config;
    private static SandboxRuntime runtime;

    @BeforeAll
    static void startRuntime() {
        config = RuntimeConfig.fromSystemProperties();
        runtime = SandboxRuntime.create(config);
    }

    @AfterAll
    static void closeRuntime() {
        runtime.close();
    }

    @Test
    void theIdNamesTheStateEntryAndTheCgroupIsSandboxedDashId() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().memory(64L << 20).build())) {
            String id = sandbox.id();
            StateDirectory states = StateDirectory.forCurrentUser(config.stateDirectory(), OwnIds.uid());
            assertThat(states.root().resolve(id)).isDirectory();
            SandboxState state = states.list().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
            assertThat(state.cgroups()).isNotEmpty()
                    .allSatisfy(dir -> assertThat(Path.of(dir).getFileName()).hasToString("sandboxed-" + id));
            // Each hierarchy's line of /proc/PID/cgroup: the init runs in a directory of that name.
            List<String> initCgroups = Files.readAllLines(Path.of("/proc/" + sandbox.pid() + "/cgroup"));
            assertThat(initCgroups).anySatisfy(line -> assertThat(line).endsWith("/sandboxed-" + id));
        }
    }
}
