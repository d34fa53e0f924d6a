package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * kill -9 of a JVM that owns a network: its members and its sandbox-init server (the only holder of the network's
 * namespace) die, and the next runtime removes the network's state entry (its hosts file).
 */
@RequiresSandbox
class NetworkKilledJvmTest {

    @SuppressWarnings("try") // creating the next runtime is the act under test
    @Test
    void nothingOfANetworkSurvivesAKilledOwner(@TempDir Path stateDir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dsandboxed.state.dir=" + stateDir));
        RuntimeConfig.fromSystemProperties().cgroupParent()
                .ifPresent(parent -> command.add("-D" + RuntimeConfig.CGROUP_PARENT_PROPERTY + "=" + parent));
        command.add(NetworkOwnerJvmMain.class.getName());
        Process owner = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<Long> pids = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                if (line.startsWith("SANDBOX ")) {
                    pids.add(Long.parseLong(line.split(" ")[1]));
                }
            }
            assertThat(line).as("child JVM output until it was ready").isEqualTo("READY");
            assertThat(pids).hasSize(2).allMatch(Probes::processAlive);
            long server = parentOf(pids.get(0));
            assertThat(server).isNotEqualTo(owner.pid());
            pids.add(server);
            try (var entries = Files.list(stateDir)) {
                assertThat(entries.map(p -> p.getFileName().toString()).toList()).anyMatch(n -> n.startsWith("net-"));
            }

            owner.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Probes.eventually(10, () -> pids.stream().noneMatch(Probes::processAlive)))
                    .as("members and the server that held the network die with their JVM").isTrue();

            try (SandboxRuntime next = SandboxRuntime.create(new RuntimeConfig(Optional.of(stateDir.toString()), Optional.empty()))) {
                try (var left = Files.list(stateDir)) {
                    assertThat(left.toList()).isEmpty();
                }
            }
        } finally {
            owner.destroyForcibly();
        }
    }

    private static long parentOf(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }
}
