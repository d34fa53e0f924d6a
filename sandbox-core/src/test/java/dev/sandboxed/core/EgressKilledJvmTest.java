package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.LeftBehind;
import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * kill -9 of a JVM with egress sandboxes: the tools (pasta, slirp4netns), which hold the sandboxes' network
 * namespaces, die with it, as do their guards and the sandboxes; the next runtime removes their cgroups and state.
 */
@RequiresSandbox
class EgressKilledJvmTest {

    @Test
    void theToolsDieWithAKilledJvm(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, EgressOwnerJvmMain.class);
        List<Long> sandboxes = new ArrayList<>();
        List<Long> tools = new ArrayList<>();
        List<Long> guards = new ArrayList<>();
        List<String> output = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                output.add(line);
                String[] f = line.split(" ");
                if (f[0].equals("SANDBOX")) {
                    sandboxes.add(Long.parseLong(f[1]));
                } else if (f[0].equals("TOOL")) {
                    tools.add(Long.parseLong(f[1]));
                    guards.add(Long.parseLong(f[2]));
                }
            }
            assertThat(line).as("child JVM output until it was ready: %s", output).isEqualTo("READY");
            assertThat(tools).hasSize(2).allMatch(Probes::processAlive);
            assertThat(guards).allMatch(Probes::processAlive).doesNotContain(owner.pid());
            assertThat(guards).allMatch(g -> ProcessHandle.of(g).flatMap(ProcessHandle::parent)
                    .map(ProcessHandle::pid).orElse(-1L) == owner.pid());

            owner.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<Long> all = new ArrayList<>(tools);
            all.addAll(guards);
            all.addAll(sandboxes);
            assertThat(Probes.eventually(10, () -> all.stream().noneMatch(Probes::processAlive)))
                    .as("tools, guards and sandboxes die with their JVM").isTrue();
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            owner.destroyForcibly();
        }
    }
}
