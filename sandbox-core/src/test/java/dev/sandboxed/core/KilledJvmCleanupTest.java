package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.testing.LeftBehind;
import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/** kill -9 of a JVM that owns sandboxes: no process, mount, cgroup or directory may remain. */
@RequiresSandbox
class KilledJvmCleanupTest {

    @Test
    void nothingSurvivesAKilledOwner(@TempDir Path stateDir) throws Exception {
        Set<String> mountsBefore = Probes.hostMountPoints();
        Process owner = OwnerJvm.start(stateDir, OwnerJvmMain.class);
        List<Integer> initPids = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                if (line.startsWith("SANDBOX ")) {
                    String[] parts = line.split(" ");
                    initPids.add(Integer.parseInt(parts[1]));
                    ids.add(parts[2]);
                }
            }
            assertThat(line).as("child JVM output until it was ready").isEqualTo("READY");
            assertThat(initPids).hasSize(2).allMatch(Probes::processAlive);
            // The sandboxes' entries and those of the cgroups the runtime made ahead for the next sandboxes.
            List<SandboxState> states = LeftBehind.in(stateDir).states();
            assertThat(states).extracting(SandboxState::id).containsAll(ids);
            assertThat(states).as("cgroups made ahead").anyMatch(s -> s.spec().startsWith(SandboxRuntime.POOLED));
            // On v1 a process waits in each cgroup made ahead, to clone the next init there: it dies with the JVM too.
            List<Integer> parked = new ArrayList<>();
            List<Path> pooledProcs = states.stream().filter(s -> s.spec().startsWith(SandboxRuntime.POOLED))
                    .flatMap(s -> s.cgroups().stream()).map(d -> Path.of(d, "cgroup.procs")).filter(Files::exists)
                    .toList();
            if (SandboxRuntime.shared().cgroupVersion().equals("v1")) {
                assertThat(Probes.eventually(10, () -> pooledProcs.stream().allMatch(p -> !pids(p).isEmpty())))
                        .as("a parked process in each v1 cgroup made ahead").isTrue();
            }
            pooledProcs.forEach(p -> parked.addAll(pids(p)));

            owner.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();

            assertThat(Probes.eventually(10, () -> initPids.stream().noneMatch(Probes::processAlive)))
                    .as("sandbox inits die with their JVM").isTrue();
            assertThat(Probes.eventually(10, () -> parked.stream().noneMatch(Probes::processAlive)))
                    .as("parked processes die with their JVM").isTrue();
            assertThat(Probes.hostMountPoints()).isEqualTo(mountsBefore);

            // The next runtime to use this state directory removes what the dead JVM left.
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            owner.destroyForcibly();
        }
    }

    private static List<Integer> pids(Path procs) {
        try {
            return Files.readAllLines(procs).stream().filter(l -> !l.isBlank()).map(Integer::parseInt).toList();
        } catch (IOException e) {
            return List.of(); // removed meanwhile
        }
    }

    @SuppressWarnings("try") // creating the next runtime is the act under test
    @Test
    void cgroupsOfASandboxWhoseJvmDiedDuringItsStartAreRemoved(@TempDir Path stateDir) throws Exception {
        RuntimeConfig config = new RuntimeConfig(Optional.of(stateDir.toString()),
                RuntimeConfig.fromSystemProperties().cgroupParent(), false, 0);
        String id = "0123456789ab";
        List<Path> dirs;
        try (SandboxRuntime runtime = SandboxRuntime.create(config)) {
            // What a start does before the init exists, then the JVM "dies": its lock goes, the entry stays.
            var entry = runtime.reserve(id, true, "a start cut short");
            dirs = runtime.cgroups().create(id, ResourceLimits.NONE, true).directories();
            entry.release();
        }
        if (dirs.isEmpty()) {
            System.err.println("SKIPPED clean-up of a start cut short: no writable cgroup here");
        }
        Assumptions.assumeFalse(dirs.isEmpty(), "no writable cgroup here");
        assertThat(dirs).allMatch(Files::isDirectory);
        try (SandboxRuntime next = SandboxRuntime.create(config)) {
            assertThat(dirs).allSatisfy(d -> assertThat(d).doesNotExist());
            assertThat(stateDir.resolve(id)).doesNotExist();
        }
    }
}
