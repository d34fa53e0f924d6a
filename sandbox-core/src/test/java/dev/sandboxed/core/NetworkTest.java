package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Per-test networks: members reach each other by name, alias and address, and nothing else. */
@RequiresSandbox
@SuppressWarnings("try") // networks and sandboxes held open for their scope only
class NetworkTest {
    /** Echoes what each of argv[1] connections sends, upper-cased. */
    private static final String SERVER = """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', 8080)); s.listen(); print('listening', flush=True)
            for _ in range(int(sys.argv[1])):
                c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
            """;
    /** Sends argv[3] to argv[1]:argv[2] and prints the answer, or the error with exit code 3. */
    private static final String CLIENT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
                c.sendall(sys.argv[3].encode()); print(c.recv(100).decode())
            except OSError as e:
                print('error:', e.errno, e.strerror); sys.exit(3)
            """;
    private static final String RESOLVE = "import socket, sys; print(socket.gethostbyname(sys.argv[1]))";

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    private static SandboxSpec member(String network, String hostname, String... aliases) {
        return SandboxSpec.builder().hostname(hostname).joinNetwork(network, aliases).build();
    }

    private static SandboxProcess serve(Sandbox sandbox, int connections) throws Exception {
        SandboxProcess server = sandbox.spawn(ProcessSpec.of("python3", "-c", SERVER, Integer.toString(connections)));
        assertThat(new BufferedReader(new InputStreamReader(server.stdout())).readLine()).isEqualTo("listening");
        return server;
    }

    private static ExecResult send(Sandbox from, String host, int port, String text) {
        return from.exec("python3", "-c", CLIENT, host, Integer.toString(port), text);
    }

    private static String resolve(Sandbox in, String name) {
        ExecResult r = in.exec("python3", "-c", RESOLVE, name);
        return r.exitCode() == 0 ? r.stdout().trim() : "unresolved";
    }

    @Test
    void twoMembersReachEachOtherByNameAliasAndAddress() throws Exception {
        try (Network net = runtime.createNetwork("pair");
                Sandbox alpha = runtime.start(member("pair", "alpha", "db"));
                Sandbox beta = runtime.start(member("pair", "beta"))) {
            assertThat(alpha.address()).isPresent();
            assertThat(beta.address()).isPresent().isNotEqualTo(alpha.address());
            assertThat(alpha.address().get()).startsWith(net.subnet().substring(0, net.subnet().lastIndexOf('.')));
            SandboxProcess server = serve(alpha, 3);
            assertThat(send(beta, "alpha", 8080, "by name").stdout()).isEqualTo("BY NAME\n");
            assertThat(send(beta, "db", 8080, "by alias").stdout()).isEqualTo("BY ALIAS\n");
            assertThat(send(beta, alpha.address().get(), 8080, "by address").stdout()).isEqualTo("BY ADDRESS\n");
            assertThat(server.waitFor().exitCode()).isZero();
            // Each one's own hostname resolves to its address, and the other's too.
            assertThat(resolve(alpha, "alpha")).isEqualTo(alpha.address().get());
            assertThat(resolve(beta, "beta")).isEqualTo(beta.address().get());
            assertThat(resolve(alpha, "beta")).isEqualTo(beta.address().get());
            // An unknown name fails (at once: no name server).
            assertThat(resolve(beta, "gamma")).isEqualTo("unresolved");
            assertThat(alpha.exec("cat", "/proc/net/dev").stdout()).contains("eth0:");
        }
    }

    @Test
    void aMemberPublishesAPortAndReachesAnExposedHostPortByName() throws Exception {
        try (ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Network net = runtime.createNetwork("mixed");
                Sandbox web = runtime.start(SandboxSpec.builder().hostname("web").joinNetwork("mixed")
                        .publish(PortMapping.tcp(8080)).exposeHostPort(host.getLocalPort()).build());
                Sandbox peer = runtime.start(member("mixed", "peer"))) {
            Thread answer = new Thread(() -> {
                try (Socket c = host.accept()) {
                    c.getOutputStream().write("from the host\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the assertion on the client's output reports it
                }
            });
            answer.start();
            ExecResult fromHost = web.exec("python3", "-c", "import socket, sys; c = socket.create_connection("
                    + "('host.sandboxed.internal', int(sys.argv[1])), timeout=10); print(c.recv(100).decode(), end='')",
                    Integer.toString(host.getLocalPort()));
            answer.join();
            assertThat(fromHost.stdout()).as(fromHost.tail(5)).isEqualTo("from the host\n");
            SandboxProcess server = serve(web, 2);
            assertThat(send(peer, "web", 8080, "peer").stdout()).isEqualTo("PEER\n");
            try (Socket c = new Socket(web.host(), web.mappedPort(8080))) {
                c.getOutputStream().write("test".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("TEST");
            }
            assertThat(server.waitFor().exitCode()).isZero();
        }
    }

    @Test
    void threeMembersReachEachOther() throws Exception {
        try (Network net = runtime.createNetwork("trio");
                Sandbox a = runtime.start(member("trio", "a-host", "svc-a"));
                Sandbox b = runtime.start(member("trio", "b-host", "svc-b"));
                Sandbox c = runtime.start(member("trio", "c-host"))) {
            SandboxProcess serverA = serve(a, 2);
            SandboxProcess serverB = serve(b, 2);
            assertThat(send(b, "svc-a", 8080, "b to a").stdout()).isEqualTo("B TO A\n");
            assertThat(send(c, "a-host", 8080, "c to a").stdout()).isEqualTo("C TO A\n");
            assertThat(send(a, "svc-b", 8080, "a to b").stdout()).isEqualTo("A TO B\n");
            assertThat(send(c, "b-host", 8080, "c to b").stdout()).isEqualTo("C TO B\n");
            assertThat(serverA.waitFor().exitCode()).isZero();
            assertThat(serverB.waitFor().exitCode()).isZero();
            assertThat(resolve(a, "c-host")).isEqualTo(c.address().get());
        }
    }

    @Test
    void nothingOutsideTheNetworkReachesItsMembersOrIsReachedByThem() throws Exception {
        try (ServerSocket hostListener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Network net = runtime.createNetwork("closed-world");
                Network other = runtime.createNetwork("elsewhere");
                Sandbox inside = runtime.start(member("closed-world", "inside"));
                Sandbox stranger = runtime.start(SandboxSpec.builder().network(NetworkMode.NONE).build());
                Sandbox foreigner = runtime.start(member("elsewhere", "foreigner"))) {
            SandboxProcess server = serve(inside, 1);
            String address = inside.address().get();
            ExecResult fromStranger = send(stranger, address, 8080, "x");
            assertThat(fromStranger.exitCode()).as(fromStranger.stdout()).isEqualTo(3);
            assertThat(fromStranger.stdout()).contains("unreachable");
            ExecResult fromForeigner = send(foreigner, address, 8080, "x");
            assertThat(fromForeigner.exitCode()).as(fromForeigner.stdout()).isEqualTo(3);
            assertThat(fromForeigner.stdout()).contains("unreachable");
            assertThat(resolve(foreigner, "inside")).isEqualTo("unresolved");

            // The host's loopback is the member's own: the test's listener there is not reached.
            ExecResult toHostLoopback = send(inside, "127.0.0.1", hostListener.getLocalPort(), "x");
            assertThat(toHostLoopback.exitCode()).as(toHostLoopback.stdout()).isEqualTo(3);
            assertThat(toHostLoopback.stdout()).contains("refused");
            // No route beyond the network: only its own subnet, no default route.
            ExecResult routes = inside.exec("sh", "-c", "tail -n +2 /proc/net/route | cut -f1,2");
            assertThat(routes.stdout()).isEqualTo("eth0\t" + hexSubnet(address) + "\n");
            // No IPv6 on eth0 either (no link-local address: the network stays quiet).
            assertThat(inside.exec("cat", "/proc/net/if_inet6").stdout()).doesNotContain("eth0").contains("lo");
            ExecResult beyond = send(inside, "192.0.2.1", 80, "x");
            assertThat(beyond.stdout()).contains("unreachable");
            // The member still serves its own network.
            ExecResult self = send(inside, "inside", 8080, "self");
            assertThat(self.stdout()).isEqualTo("SELF\n");
            assertThat(server.waitFor().exitCode()).isZero();
        }
    }

    /** The /24 of an address as /proc/net/route shows it: the network-order bytes printed as a native (LE) int. */
    private static String hexSubnet(String address) {
        String[] o = address.split("\\.");
        return String.format("%02X%02X%02X%02X", 0, Integer.parseInt(o[2]), Integer.parseInt(o[1]), Integer.parseInt(o[0]));
    }

    @Test
    void anAddressIsNeverHandedOutTwiceAndALeaverStopsResolving() {
        try (Network net = runtime.createNetwork("churn")) {
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                try (Sandbox s = runtime.start(member("churn", "leaver"))) {
                    addresses.add(s.address().get());
                }
            }
            try (Sandbox stayer = runtime.start(member("churn", "stayer"))) {
                addresses.add(stayer.address().get());
                assertThat(addresses).doesNotHaveDuplicates();
                assertThat(resolve(stayer, "leaver")).isEqualTo("unresolved");
                assertThat(resolve(stayer, "stayer")).isEqualTo(stayer.address().get());
            }
        }
    }

    @Test
    void aClosedNetworkTakesNoNewMembersAndClosesItsMembers() {
        Network net = runtime.createNetwork("short-lived");
        Sandbox member = runtime.start(member("short-lived", "m"));
        net.close();
        assertThat(net.isClosed()).isTrue();
        assertThat(member.state()).isEqualTo(Sandbox.State.CLOSED);
        assertThatThrownBy(() -> runtime.start(member("short-lived", "late")))
                .isInstanceOf(SpecException.class)
                .hasMessage("network: network 'short-lived' is closed and takes no new members");
        // Its name is free again.
        try (Network again = runtime.createNetwork("short-lived");
                Sandbox s = runtime.start(member("short-lived", "m"))) {
            assertThat(s.exec("true").exitCode()).isZero();
        }
    }

    @Test
    void aNetworkWhoseServerDiedSaysSoAndMembersElsewhereStillStart() throws Exception {
        try (Network net = runtime.createNetwork("orphaned")) {
            int server;
            try (Sandbox first = runtime.start(member("orphaned", "first"))) {
                String stat = Files.readString(Path.of("/proc/" + first.pid() + "/stat"));
                server = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
                Native.kill(server, Native.SIGKILL);
                first.waitFor(Duration.ofSeconds(10));
            }
            assertThatThrownBy(() -> runtime.start(member("orphaned", "second")))
                    .hasMessageContaining("join network 'orphaned': the network is gone: it died with its sandbox-init server");
            // A new server makes new networks.
            try (Network fresh = runtime.createNetwork("fresh");
                    Sandbox s = runtime.start(member("fresh", "s"))) {
                assertThat(resolve(s, "s")).isEqualTo(s.address().get());
            }
        }
    }

    @Test
    void badNamesAreRefusedWithTheField() {
        assertThatThrownBy(() -> runtime.createNetwork("Bad Name")).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("network: 'Bad Name' is not a network name").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> SandboxSpec.builder().joinNetwork("ok", "no_underscore")).isInstanceOf(SpecException.class)
                .extracting(e -> ((SpecException) e).field()).isEqualTo("network.aliases");
        assertThatThrownBy(() -> SandboxSpec.builder().joinNetwork("ok").network(NetworkMode.HOST).build())
                .isInstanceOf(SpecException.class).hasMessageContaining("needs a network namespace of its own");
        assertThatThrownBy(() -> runtime.start(member("never-made", "x"))).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("network: no network named 'never-made'");
        try (Network net = runtime.createNetwork("taken")) {
            assertThatThrownBy(() -> runtime.createNetwork("taken")).isInstanceOf(SpecException.class)
                    .hasMessage("network: a network named 'taken' is open already in this runtime");
        }
    }
}
