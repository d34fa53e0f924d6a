package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.LeftBehind;
import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * kill -9 of a JVM that owns a network: its members and its sandbox-init server (the only holder of the network's
 * namespace) die, the namespaces of its prepared slots (held only by the JVM's descriptors) are held by nobody, and
 * the next runtime removes the network's state entry (its hosts file).
 */
@RequiresSandbox
class NetworkKilledJvmTest {

    @Test
    void nothingOfANetworkSurvivesAKilledOwner(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, NetworkOwnerJvmMain.class);
        List<Long> pids = new ArrayList<>();
        List<String> slots = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                if (line.startsWith("SANDBOX ")) {
                    pids.add(Long.parseLong(line.split(" ")[1]));
                } else if (line.startsWith("SLOT ")) {
                    slots.add(line.substring("SLOT ".length()));
                }
            }
            assertThat(line).as("child JVM output until it was ready").isEqualTo("READY");
            assertThat(pids).hasSize(2).allMatch(Probes::processAlive);
            assertThat(slots).as("the owner's prepared slots").hasSize(2);
            assertThat(namespaceHolders(slots)).as("processes holding the slots").containsOnly(owner.pid());
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
            assertThat(Probes.eventually(10, () -> namespaceHolders(slots).isEmpty()))
                    .as("nobody holds the slots' namespaces any more: the kernel tears them down").isTrue();

            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            owner.destroyForcibly();
        }
    }

    /** The processes (of those this user may inspect) with one of {@code namespaces} as their own or open. */
    private static Set<Long> namespaceHolders(List<String> namespaces) {
        Set<Long> holders = new HashSet<>();
        File[] processes = new File("/proc").listFiles((dir, name) -> name.chars().allMatch(Character::isDigit));
        for (File process : processes == null ? new File[0] : processes) {
            long pid = Long.parseLong(process.getName());
            List<File> links = new ArrayList<>(List.of(new File(process, "ns/net")));
            File[] fds = new File(process, "fd").listFiles();
            links.addAll(List.of(fds == null ? new File[0] : fds));
            for (File link : links) {
                try {
                    if (namespaces.contains(Files.readSymbolicLink(link.toPath()).toString())) {
                        holders.add(pid);
                    }
                } catch (IOException | SecurityException notVisible) {
                    // gone, or another user's
                }
            }
        }
        return holders;
    }

    private static long parentOf(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }
}
