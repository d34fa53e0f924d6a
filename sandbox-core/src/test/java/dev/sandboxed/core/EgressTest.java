package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.internal.egress.EgressTools;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * network egress through pasta and slirp4netns (both installed on CI): a server of the test on the host's own
 * non-loopback address is reachable, the host's loopback only when asked, and the tool ends with the sandbox.
 */
@RequiresSandbox
@SuppressWarnings("try") // sandboxes and servers held open for their scope only
class EgressTest {
    /** Sends argv[3] to argv[1]:argv[2] and prints the answer, or the error with exit code 3. */
    private static final String CLIENT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
                c.sendall(sys.argv[3].encode() + b'\\n'); print(c.makefile().readline().strip())
            except OSError as e:
                print('error:', e.errno, e.strerror); sys.exit(3)
            """;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    @AfterEach
    void defaultTool() {
        System.clearProperty(EgressTools.TOOL_PROPERTY);
    }

    private static SandboxSpec egress(boolean hostLoopback) {
        return SandboxSpec.builder().network(NetworkMode.EGRESS).egressHostLoopback(hostLoopback).build();
    }

    /** An upper-casing line echo server on {@code address}, one connection at a time, until closed. */
    private static ServerSocket echoServer(InetAddress address) throws Exception {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(address, 0));
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    String line = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    OutputStream out = c.getOutputStream();
                    out.write((line == null ? "" : line.toUpperCase() + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    // closed
                }
            }
        }, "egress-echo");
        t.setDaemon(true);
        t.start();
        return server;
    }

    private static ExecResult send(Sandbox from, String host, int port, String text) {
        return from.exec("python3", "-c", CLIENT, host, Integer.toString(port), text);
    }

    /** A non-loopback IPv4 address of this host, as a test server elsewhere on the network would have. */
    private static Optional<InetAddress> hostAddress() throws Exception {
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : nic.inetAddresses().toList()) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return Optional.of(a);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The egress tools this JVM runs (each the only child of its guard, a child of this JVM). */
    static List<ProcessHandle> tools() {
        return ProcessHandle.current().descendants().filter(p -> List.of("pasta", "slirp4netns").contains(name(p)))
                .toList();
    }

    /**
     * The base name of argv[0] (/proc/PID/cmdline): pasta re-executes itself as passt.avx2 where the CPU has AVX2,
     * keeping its argv[0], and it is not dumpable, so its exe link is unreadable.
     */
    static String name(ProcessHandle p) {
        try {
            String cmdline = Files.readString(Path.of("/proc/" + p.pid() + "/cmdline"), StandardCharsets.UTF_8);
            String argv0 = cmdline.indexOf('\0') >= 0 ? cmdline.substring(0, cmdline.indexOf('\0')) : cmdline;
            return argv0.substring(argv0.lastIndexOf('/') + 1);
        } catch (IOException e) {
            return "";
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pasta", "slirp4netns"})
    void reachesAServerOnTheHostsOwnAddressAndTheToolEndsWithTheSandbox(String tool) throws Exception {
        InetAddress address = hostAddress().orElse(null);
        System.setProperty(EgressTools.TOOL_PROPERTY, tool);
        List<ProcessHandle> running;
        try (ServerSocket server = echoServer(address != null ? address : InetAddress.getLoopbackAddress());
                Sandbox sandbox = runtime.start(egress(address == null))) {
            assertThat(sandbox.spec().network()).isEqualTo(NetworkMode.EGRESS);
            // Without a non-loopback address, only the explicitly enabled host mapping leads to the host.
            String target = address != null ? address.getHostAddress() : "10.0.2.2";
            assertThat(send(sandbox, target, server.getLocalPort(), "hello " + tool).stdout().strip())
                    .isEqualTo("HELLO " + tool.toUpperCase());
            assertThat(sandbox.exec("cat", "/etc/resolv.conf").stdout()).contains("nameserver 10.0.2.3");
            assertThat(sandbox.exec("cat", "/proc/net/route").stdout()).contains("tap0\t00000000\t0202000A");
            running = tools();
            assertThat(running).extracting(EgressTest::name).containsExactly(tool);
        }
        assertThat(running).noneMatch(ProcessHandle::isAlive);
        assertThat(tools()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pasta", "slirp4netns"})
    void hostLoopbackOnlyWhenAsked(String tool) throws Exception {
        System.setProperty(EgressTools.TOOL_PROPERTY, tool);
        try (ServerSocket server = echoServer(InetAddress.getLoopbackAddress())) {
            String port = Integer.toString(server.getLocalPort());
            try (Sandbox hermetic = runtime.start(egress(false))) {
                ExecResult viaGateway = send(hermetic, "10.0.2.2", server.getLocalPort(), "x");
                assertThat(viaGateway.exitCode()).as(viaGateway.stdout()).isEqualTo(3);
                ExecResult ownLoopback = send(hermetic, "127.0.0.1", server.getLocalPort(), "x");
                assertThat(ownLoopback.stdout()).as("the sandbox's own lo, port " + port).contains("error: 111");
            }
            try (Sandbox open = runtime.start(egress(true))) {
                assertThat(send(open, "10.0.2.2", server.getLocalPort(), "mapped").stdout().strip())
                        .isEqualTo("MAPPED");
            }
        }
    }

    @Test
    void noneStillRefusesTheHost() throws Exception {
        InetAddress address = hostAddress().orElse(InetAddress.getLoopbackAddress());
        try (ServerSocket server = echoServer(address);
                Sandbox sandbox = runtime.start(SandboxSpec.builder().network(NetworkMode.NONE).build())) {
            ExecResult r = send(sandbox, address.getHostAddress(), server.getLocalPort(), "x");
            assertThat(r.exitCode()).as(r.stdout()).isEqualTo(3);
            assertThat(sandbox.exec("cat", "/proc/net/route").stdout()).doesNotContain("tap0");
        }
        assertThat(tools()).isEmpty();
    }

    @Test
    void anUnknownToolIsRefusedBeforeAnythingStarts() {
        System.setProperty(EgressTools.TOOL_PROPERTY, "vpnkit");
        assertThatThrownBy(() -> runtime.start(egress(false))).isInstanceOf(SpecException.class)
                .hasMessageContaining(EgressTools.TOOL_PROPERTY).hasMessageContaining("allowed: auto, pasta, slirp4netns");
        assertThat(tools()).isEmpty();
    }

    @Test
    void aSharingSandboxUsesTheOwnersEgress() throws Exception {
        InetAddress address = hostAddress().orElse(null);
        try (ServerSocket server = echoServer(address != null ? address : InetAddress.getLoopbackAddress());
                Sandbox owner = runtime.start(egress(address == null));
                Sandbox sharer = owner.startSharingNetwork(SandboxSpec.defaults())) {
            // One tool for both; a short-lived child of it (pasta forks to enter the namespaces) may be seen beside it.
            assertThat(Probes.eventually(5, () -> tools().size() == 1)).as("one egress tool: %s", tools()).isTrue();
            String target = address != null ? address.getHostAddress() : "10.0.2.2";
            assertThat(send(sharer, target, server.getLocalPort(), "shared").stdout().strip()).isEqualTo("SHARED");
        }
        assertThat(Probes.eventually(5, () -> tools().isEmpty())).isTrue();
    }
}
