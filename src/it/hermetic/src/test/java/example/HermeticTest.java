package example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.junit.Sandboxed;

/**
 * Each test runs in its own JVM in a sandbox (network none, the host read-only, 256 MiB). {@code @BeforeAll} and
 * {@code @AfterAll} run in Surefire's JVM ({@code sandboxed.jvm.classMethods=both} in junit-platform.properties;
 * by default they run only in the sandboxed JVMs) and again in each sandboxed JVM; the sandboxed JVMs get Surefire's system
 * properties, so only Surefire's JVM finds them unset and opens the host server the tests must not reach.
 */
@Sandboxed(jvm = true, memory = "256m")
class HermeticTest {
    private static final String HOST_PORT = "hermetic.hostPort";
    private static final String SUREFIRE_PID = "hermetic.surefirePid";
    private static ServerSocket hostServer;

    @BeforeAll
    static void openHostServer() throws IOException {
        if (System.getProperty(HOST_PORT) == null) {
            hostServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            System.setProperty(HOST_PORT, Integer.toString(hostServer.getLocalPort()));
            System.setProperty(SUREFIRE_PID, Long.toString(ProcessHandle.current().pid()));
        }
    }

    @AfterAll
    static void noTestReachedTheHostServer() throws IOException {
        if (hostServer != null) {
            try (ServerSocket server = hostServer) {
                server.setSoTimeout(50);
                assertThrows(SocketTimeoutException.class, server::accept, "a sandboxed test reached the host's loopback");
            } finally {
                System.clearProperty(HOST_PORT);
                System.clearProperty(SUREFIRE_PID);
            }
        }
    }

    @Test
    void runsInASandboxedJvm() throws IOException {
        long pid = ProcessHandle.current().pid();
        String init = comm(1);
        String parent = comm(ProcessHandle.current().parent().orElseThrow().pid());
        System.out.println("hermetic-it: test JVM pid " + pid + ", a child of " + parent + "; PID 1 is " + init);
        assertThat(init).as("PID 1 of the test's pid namespace").isEqualTo("sandbox-init");
        assertThat(parent).as("the test JVM's parent").isEqualTo("sandbox-init");
        assertThat(Long.getLong(SUREFIRE_PID)).as("Surefire's JVM, which is not the test's").isNotNull().isNotEqualTo(pid);
        // Half the memory limit, not Surefire's default heap: the hermetic path chose this JVM's options.
        assertThat(Runtime.getRuntime().maxMemory()).isBetween(64L << 20, 128L << 20);
    }

    @Test
    void networkIsRefused() throws IOException {
        int port = Integer.getInteger(HOST_PORT);
        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
                "the host's loopback server");
        try (Socket socket = new Socket()) {
            assertThrows(IOException.class, () -> socket.connect(new InetSocketAddress("192.0.2.1", 80), 2000),
                    "an address outside");
        }
    }

    @Test
    void writesItsTempDirOnly(@TempDir Path dir) throws IOException {
        assertThat(dir).startsWith(Path.of("/tmp"));
        Path file = Files.writeString(dir.resolve("result.txt"), "written in the sandbox");
        assertThat(file).hasContent("written in the sandbox");
        Path outside = Path.of(System.getProperty("user.dir"), "target", "escaped-from-sandbox.txt");
        assertThrows(IOException.class, () -> Files.writeString(outside, "escaped"), "the project directory");
        System.out.println("hermetic-it: wrote " + file + ", not " + outside);
    }

    private static String comm(long pid) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
    }
}
