package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.ClearedProperty;
import dev.sandboxed.core.testing.HelloServer;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * Keeps {@link InitCalls} in step with the C code: the init holds a filter refusing every call but the listed ones
 * (and what busybox needs), with denial reports on, so an unlisted call of the init waits forever on its own
 * notification and the test times out. It drives what the init does once it holds the filter: starting processes
 * (also as another user), TCP and UDP ports published and relayed by the init, exposed TCP and UDP host ports,
 * signals and the end of the sandbox.
 */
@RequiresSandbox
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InitCallsInSandboxTest {
    /** What busybox's cat, nc and sh take besides the init's calls (none of these is the init's). */
    private static final Set<String> BUSYBOX = Set.of("arch_prctl", "set_tid_address", "write", "access", "pread64",
            "mprotect", "getrandom", "rseq", "futex", "uname", "lseek", "geteuid", "getegid", "getppid", "sendfile",
            "bind", "listen", "accept", "setsockopt", "ioctl", "nanosleep", "clock_nanosleep", "fork", "vfork",
            "wait4", "dup", "dup3", "pipe", "getpgrp", "setpgid", "getcwd", "stat", "lstat", "fstat", "open",
            "select", "pselect6", "getsockname", "readv");

    /** What python3 -I -S takes besides busybox's needs, for the UDP server and client inside (none is the init's). */
    private static final Set<String> PYTHON = Set.of("sysinfo");

    private static final Path BUSYBOX_BINARY = Path.of("/bin/busybox");
    private static final Path PYTHON_BINARY = Path.of("/usr/bin/python3");
    private static final String UDP_ECHO = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 5353))
            print('listening', flush=True)
            d, a = s.recvfrom(2048); s.sendto(d, a)
            """;
    private static final String UDP_ASK = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(30)
            s.sendto(b'ping', ('127.0.0.2', int(sys.argv[1])))
            print(s.recvfrom(2048)[0].decode())
            """;
    private static final String LINE = "through the init's relay\n";

    @RegisterExtension
    static final ClearedProperty BYPASS = new ClearedProperty("sandboxed.publish.bypass");

    private static Path profile(Path tmp) throws IOException {
        Set<String> allowed = new TreeSet<>(InitCalls.names());
        allowed.addAll(BUSYBOX);
        allowed.addAll(PYTHON);
        String json = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": ["
                + allowed.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "))
                + "], \"action\": \"SCMP_ACT_ALLOW\"}]}";
        Path profile = tmp.resolve("profile.json");
        Files.writeString(profile, json);
        return profile;
    }

    @Test
    void theInitDoesItsWorkUnderAFilterAllowingOnlyTheListedCalls(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(BUSYBOX_BINARY), "busybox-static is not installed; .ci/run installs it");
        Path profile = profile(tmp);
        System.setProperty("sandboxed.publish.bypass", "off"); // the init relays the published port
        try (ServerSocket hello = HelloServer.start("hello from the host");
                Sandbox sandbox = Sandbox.start(SandboxSpec.builder().seccomp(profile.toString())
                        .publish(PortMapping.tcp(8080)).exposeHostPort(hello.getLocalPort()).build())) {
            assertInitHoldsTheFilter(sandbox);

            SandboxProcess echo = sandbox.spawn(ProcessSpec.of("/bin/busybox", "nc", "-l", "-p", "8080", "-e",
                    "/bin/busybox", "cat"));
            assertThat(echoThroughPublishedPort(sandbox.mappedPort(8080))).isEqualTo(LINE);
            assertThat(echo.waitFor().exitCode()).isZero();

            // host.sandboxed.internal, as /etc/hosts names it (static busybox resolves no names)
            ExecResult host = sandbox.exec("/bin/busybox", "nc", "127.0.0.2", Integer.toString(hello.getLocalPort()));
            assertThat(host.stdout()).as(host.toString()).isEqualTo("hello from the host\n");

            SandboxProcess sleeper = sandbox.spawn(ProcessSpec.of("/bin/busybox", "sleep", "600"));
            sandbox.signalAll(15);
            assertThat(sleeper.waitFor().exitCode()).isEqualTo(128 + 15);
        }
    }

    @Test
    void theInitRelaysUdpBothWaysUnderAFilterAllowingOnlyTheListedCalls(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(BUSYBOX_BINARY), "busybox-static is not installed; .ci/run installs it");
        assumeTrue(Files.isExecutable(PYTHON_BINARY), "python3 is not installed; .ci/run installs it");
        System.setProperty("sandboxed.publish.bypass", "off");
        try (DatagramSocket hostEcho = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                Sandbox sandbox = Sandbox.start(SandboxSpec.builder().seccomp(profile(tmp).toString())
                        .publish(PortMapping.udp(5353)).exposeHostPort(HostPort.udp(hostEcho.getLocalPort()))
                        .build())) {
            assertInitHoldsTheFilter(sandbox);
            SandboxProcess echo = sandbox.spawn(ProcessSpec.of(PYTHON_BINARY.toString(), "-I", "-S", "-c", UDP_ECHO));
            assertThat(new BufferedReader(new InputStreamReader(echo.stdout(), StandardCharsets.UTF_8)).readLine())
                    .isEqualTo("listening");
            int published = sandbox.mappedPort(5353, PortMapping.Transport.UDP);
            assertThat(askThroughPublishedPort(published)).isEqualTo("published");
            assertThat(echo.waitFor().exitCode()).isZero();

            Thread answer = new Thread(() -> echoOnce(hostEcho), "host-udp-echo");
            answer.setDaemon(true);
            answer.start();
            ExecResult asked = sandbox.exec(PYTHON_BINARY.toString(), "-I", "-S", "-c", UDP_ASK,
                    Integer.toString(hostEcho.getLocalPort()));
            assertThat(asked.stdout()).as(asked.toString()).isEqualTo("ping\n");
        }
    }

    @Test
    void aProcessOfAnotherUserStartsUnderAFilterAllowingOnlyTheListedCalls(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(BUSYBOX_BINARY), "busybox-static is not installed; .ci/run installs it");
        HostFacts facts = HostFacts.current();
        assumeTrue(facts.isRoot() || (facts.newuidmapUsable() && facts.subuidRange().filter(r -> r.count() > 1000)
                .isPresent()), "no subordinate id range of more than 1000 ids or no newuidmap (see doctor)");
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.builder().seccomp(profile(tmp).toString())
                .idMapping(IdMappingMode.RANGE).build())) {
            assertInitHoldsTheFilter(sandbox);
            ExecResult id = sandbox.exec(ProcessSpec.builder("/bin/busybox", "id", "-u")
                    .user(new UserSpec(1000, 1000)).build());
            assertThat(id.stdout()).as(id.toString()).isEqualTo("1000\n");
            assertThat(sandbox.exec("/bin/busybox", "true").exitCode()).as("the init still answers").isZero();
        }
    }

    /** Else the test would not run the init under the allow-list at all. */
    private static void assertInitHoldsTheFilter(Sandbox sandbox) {
        ExecResult status = sandbox.exec("/bin/busybox", "cat", "/proc/1/status");
        assertThat(status.stdout()).as(status.toString()).contains("Seccomp:\t2");
    }

    /** Sends until the echo inside answers: the first datagram may reach the init before the server binds. */
    private static String askThroughPublishedPort(int port) throws IOException {
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            client.setSoTimeout(250);
            byte[] line = "published".getBytes(StandardCharsets.UTF_8);
            DatagramPacket back = new DatagramPacket(new byte[64], 64);
            for (int attempt = 0; attempt < 200; attempt++) {
                client.send(new DatagramPacket(line, line.length, InetAddress.getLoopbackAddress(), port));
                try {
                    client.receive(back);
                    return new String(back.getData(), 0, back.getLength(), StandardCharsets.UTF_8);
                } catch (SocketTimeoutException notYet) {
                    // again
                }
            }
        }
        throw new AssertionError("nothing came back through UDP port " + port);
    }

    private static void echoOnce(DatagramSocket socket) {
        try {
            DatagramPacket packet = new DatagramPacket(new byte[64], 64);
            socket.receive(packet);
            socket.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
        } catch (IOException closed) {
            // the test is over
        }
    }

    /** Connects until the server inside listens: the relay resets a connection that finds nothing there. */
    private static String echoThroughPublishedPort(int port) throws InterruptedException {
        for (int attempt = 0; attempt < 200; attempt++) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.getOutputStream().write(LINE.getBytes(StandardCharsets.UTF_8));
                socket.shutdownOutput();
                byte[] back = socket.getInputStream().readAllBytes();
                if (back.length > 0) {
                    return new String(back, StandardCharsets.UTF_8);
                }
            } catch (IOException notListeningYet) {
                // again
            }
            Thread.sleep(50);
        }
        throw new AssertionError("nothing came back through port " + port);
    }
}
