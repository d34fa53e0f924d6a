package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.internal.runtime.RuntimeNetwork;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.RequiresSandbox;

/** A network's life: addresses given again after their members left, prepared slots, and a close racing starts. */
@RequiresSandbox
@SuppressWarnings("try") // networks and sandboxes held open for their scope only
class NetworkLifetimeTest {
    /** Answers each of argv[1] connections with its first line upper-cased. */
    private static final String SERVER = """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', 8080)); s.listen(); print('listening', flush=True)
            for _ in range(int(sys.argv[1])):
                c, _ = s.accept(); c.sendall(c.makefile().readline().upper().encode()); c.close()
            """;
    /** Prints the address its own name resolves to, then what the server db answers to argv[1]. */
    private static final String CLIENT = "getent hosts client | cut -d' ' -f1;"
            + " exec 3<>/dev/tcp/db/8080 && echo \"$1\" >&3 && head -n 1 <&3";

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    private static SandboxSpec member(String network, String hostname) {
        return SandboxSpec.builder().hostname(hostname).joinNetwork(network).build();
    }

    @Test
    void aNetworkOutlivesThreeHundredMembersThatEachReachALongLivedOne() throws Exception {
        int members = 300;
        try (Network net = runtime.createNetwork("long-lived");
                Sandbox db = runtime.start(member("long-lived", "db"))) {
            SandboxProcess server = db.spawn(ProcessSpec.of("python3", "-c", SERVER, Integer.toString(members)));
            assertThat(new BufferedReader(new InputStreamReader(server.stdout())).readLine()).isEqualTo("listening");
            Set<String> addresses = new HashSet<>();
            for (int i = 0; i < members; i++) {
                try (Sandbox client = runtime.start(member("long-lived", "client"))) {
                    String address = client.address().orElseThrow();
                    addresses.add(address);
                    ExecResult r = client.exec("bash", "-c", CLIENT, "client", "hello " + i);
                    assertThat(r.stdout()).as("member %d (%s): %s", i, address, r.tail(5))
                            .isEqualTo(address + "\nHELLO " + i + "\n");
                }
            }
            // 301 members on 253 addresses: most were given again, each once its former member had gone.
            assertThat(addresses.size()).isLessThanOrEqualTo(253).isGreaterThan(200);
            assertThat(addresses).doesNotContain(db.address().orElseThrow());
            assertThat(server.waitFor().exitCode()).isZero();
        }
    }

    @Test
    void aFullNetworkSaysSoInOneLineAndAFreedAddressServesItsNextMemberAtOnce() throws Exception {
        List<Sandbox> members = new ArrayList<>();
        SandboxSpec spec = SandboxSpec.builder().hostname("m").trackUsage(false).joinNetwork("crowded").build();
        try (Network net = runtime.createNetwork("crowded")) {
            Throwable full = fill(spec, members);
            assertThat(full).isNotNull().hasMessage("network 'crowded' is full: all its 253 addresses ("
                    + net.subnet() + ") are in use; close a member first");
            RuntimeNetwork.awaitSlots(); // a slot still being made when it filled up goes to a member too
            fill(spec, members);
            assertThat(members).hasSize(253);

            // A member that talked to the leaver keeps its neighbour entry (address -> MAC) while the leaver goes.
            Sandbox leaver = members.remove(0);
            Sandbox peer = members.get(0);
            String address = leaver.address().orElseThrow();
            peer.exec("bash", "-c", "exec 3<>/dev/tcp/" + address + "/9"); // refused, but its MAC is known now
            leaver.close();
            try (Sandbox successor = runtime.start(spec)) {
                assertThat(successor.address()).contains(address);
                SandboxProcess server = successor.spawn(ProcessSpec.of("python3", "-c", SERVER, "1"));
                assertThat(new BufferedReader(new InputStreamReader(server.stdout())).readLine()).isEqualTo("listening");
                // The successor has the leaver's MAC too (it follows from the address), so the stale entry is right:
                // with another MAC the frames would go nowhere until the entry expired, many seconds later.
                ExecResult r = peer.exec("timeout", "3", "bash", "-c",
                        "exec 3<>/dev/tcp/" + address + "/8080 && echo hello >&3 && head -n 1 <&3");
                assertThat(r.stdout()).as(r.tail(5)).isEqualTo("HELLO\n");
                assertThat(server.waitFor().exitCode()).isZero();
            }
        } finally {
            members.forEach(Sandbox::close);
        }
    }

    /** Starts members until the network is full; the failure that said so. */
    private static Throwable fill(SandboxSpec spec, List<Sandbox> members) {
        while (members.size() < 260) {
            try {
                members.add(runtime.start(spec));
            } catch (RuntimeException e) {
                return e;
            }
        }
        return null;
    }

    @Test
    void slotsAreMadeAheadAndGoWhenTheNetworkCloses() throws Exception {
        RuntimeNetwork.awaitSlots();
        Set<String> before = networkNamespacesHeld();
        Network net = runtime.createNetwork("slotted");
        RuntimeNetwork.awaitSlots();
        Set<String> held = networkNamespacesHeld();
        held.removeAll(before);
        assertThat(held).as("the slots' namespaces, held by this JVM").hasSize(2);
        try (Sandbox member = runtime.start(member("slotted", "m"))) {
            assertThat(member.exec("readlink", "/proc/self/ns/net").stdout().trim())
                    .as("the member joined a slot").isIn(held);
            assertThat(member.exec("cat", "/proc/net/dev").stdout()).contains("eth0:");
        }
        net.close();
        RuntimeNetwork.awaitSlots();
        assertThat(networkNamespacesHeld()).isEqualTo(before);
    }

    @Test
    void aCloseRacingAStartEitherClosesTheMemberOrFailsItNamingTheNetwork() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        int started = 0;
        int refused = 0;
        try {
            for (int i = 0; i < 40; i++) {
                String name = "race" + i;
                Network net = runtime.createNetwork(name);
                CountDownLatch go = new CountDownLatch(1);
                long delayNanos = i * 1_000_000L; // from before the start to after it (a start takes 3 to 20 ms)
                Future<Sandbox> start = threads.submit(() -> {
                    go.await();
                    return runtime.start(member(name, "m"));
                });
                Future<?> close = threads.submit(() -> {
                    go.await();
                    long until = System.nanoTime() + delayNanos;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    net.close();
                    return null;
                });
                go.countDown();
                close.get(30, TimeUnit.SECONDS);
                try {
                    Sandbox s = start.get(30, TimeUnit.SECONDS);
                    started++;
                    assertThat(s.state()).as("a member that started before the close is closed by it")
                            .isEqualTo(Sandbox.State.CLOSED);
                } catch (ExecutionException e) {
                    refused++;
                    assertThat(e.getCause()).as("round %d", i).satisfiesAnyOf(
                            c -> assertThat(c).isInstanceOf(SpecException.class)
                                    .hasMessage("network: network '" + name + "' is closed and takes no new members"),
                            c -> assertThat(c).hasMessage("network '" + name + "' was closed"));
                }
                assertThat(runtime.openSandboxes()).as("round %d", i).isEmpty();
            }
        } finally {
            threads.shutdownNow();
        }
        System.out.println("close racing a start: " + started + " started and were closed, " + refused + " refused");
    }

    /** The network namespaces this JVM holds descriptors of, as {@code net:[inode]}. */
    static Set<String> networkNamespacesHeld() throws IOException {
        Set<String> held = new HashSet<>();
        List<Path> fds;
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            fds = new ArrayList<>(list.toList());
        }
        for (Path fd : fds) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                if (target.startsWith("net:[")) {
                    held.add(target);
                }
            } catch (IOException gone) {
                // closed meanwhile (the listing's own descriptor, for one)
            }
        }
        return held;
    }
}
