package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * The helper shows up as {@code sandbox-init} wherever one looks for it: /proc/PID/comm (what {@code ps -o comm}
 * and {@code pgrep -x} match) and /proc/PID/cmdline (the CMD column of {@code ps -ef}), for the server, a sandbox's
 * init seen from the host and from inside, and an egress tool's guard. Exec'd from its sealed memfd, the kernel
 * would name it {@code memfd:sandbox-i}; from the cached file, {@code sandbox-init-<hash>}.
 */
@RequiresSandbox
@SuppressWarnings("try") // sandboxes held open for their scope only
class ProcessNameTest {
    private static SandboxRuntime runtime;

    @BeforeAll
    static void startRuntime() {
        runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties());
    }

    @AfterAll
    static void closeRuntime() {
        runtime.close();
    }

    @Test
    void serverAndInitAreNamedSandboxInitOnTheHostAndInside() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.defaults())) {
            int init = sandbox.pid();
            int server = parent(init);
            assertThat(comm(server)).as("the server's comm").isEqualTo("sandbox-init");
            assertThat(cmdline(server)).as("the server's cmdline").containsExactly("sandbox-init");
            assertThat(comm(init)).as("the init's comm").isEqualTo("sandbox-init");
            assertThat(cmdline(init)).as("the init's cmdline").containsExactly("sandbox-init");
            assertThat(sandbox.exec("cat", "/proc/1/comm").stdout()).isEqualTo("sandbox-init\n");
            assertThat(sandbox.exec("cat", "/proc/1/cmdline").stdout()).isEqualTo("sandbox-init\0");
            assertThat(pgrepExact("sandbox-init")).contains(server, init);
        }
    }

    @Test
    void anEgressToolsGuardIsNamedSandboxInit() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().network(NetworkMode.EGRESS).build())) {
            List<ProcessHandle> tools = EgressTest.tools();
            assertThat(tools).hasSize(1);
            int guard = parent((int) tools.get(0).pid());
            assertThat(comm(guard)).as("the guard's comm").isEqualTo("sandbox-init");
            assertThat(cmdline(guard)).as("the guard's cmdline").startsWith("sandbox-init", "--guard");
            assertThat(pgrepExact("sandbox-init")).contains(guard);
        }
    }

    private static String comm(int pid) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
    }

    private static List<String> cmdline(int pid) throws IOException {
        String raw = Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.UTF_8);
        return Arrays.asList(raw.split("\0"));
    }

    private static int parent(int pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    /** The pids {@code pgrep -x NAME} prints: what an operator looking for the helper finds. */
    private static List<Integer> pgrepExact(String name) throws Exception {
        Process p = new ProcessBuilder("pgrep", "-x", name).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
    }
}
