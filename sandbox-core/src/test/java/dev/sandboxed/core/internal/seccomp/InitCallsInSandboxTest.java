package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
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
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.ClearedProperty;
import dev.sandboxed.core.testing.HelloServer;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * Keeps {@link InitCalls} in step with the C code: the init holds a filter refusing every call but the listed ones
 * (and what busybox needs), with denial reports on, so an unlisted call of the init waits forever on its own
 * notification and the test times out. It drives what the init does once it holds the filter: starting processes,
 * a published port relayed by the init, an exposed host port, signals and the end of the sandbox.
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

    private static final Path BUSYBOX_BINARY = Path.of("/bin/busybox");
    private static final String LINE = "through the init's relay\n";

    @RegisterExtension
    static final ClearedProperty BYPASS = new ClearedProperty("sandboxed.publish.bypass");

    private static String profile() {
        Set<String> allowed = new TreeSet<>(InitCalls.names());
        allowed.addAll(BUSYBOX);
        return "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": ["
                + allowed.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "))
                + "], \"action\": \"SCMP_ACT_ALLOW\"}]}";
    }

    @Test
    void theInitDoesItsWorkUnderAFilterAllowingOnlyTheListedCalls(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(BUSYBOX_BINARY), "busybox-static is not installed; .ci/run installs it");
        Path profile = tmp.resolve("profile.json");
        Files.writeString(profile, profile());
        System.setProperty("sandboxed.publish.bypass", "off"); // the init relays the published port
        try (ServerSocket hello = HelloServer.start("hello from the host");
                Sandbox sandbox = Sandbox.start(SandboxSpec.builder().seccomp(profile.toString())
                        .publish(PortMapping.tcp(8080)).exposeHostPort(hello.getLocalPort()).build())) {
            ExecResult status = sandbox.exec("/bin/busybox", "cat", "/proc/1/status");
            assertThat(status.stdout()).as(status.toString()).contains("Seccomp:\t2");

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
