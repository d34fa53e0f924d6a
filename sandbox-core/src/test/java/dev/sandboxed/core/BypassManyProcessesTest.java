package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.ClearedProperty;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * With the port bypass each exec'd process's filter sends bind and connect to the init through a listener of its own:
 * a process started after many others still running gets its calls answered, not the kernel's ENOSYS.
 */
@RequiresSandbox
@Timeout(300)
class BypassManyProcessesTest {
    /** More than the 64 listeners the init used to keep. */
    private static final int RUNNING = 80;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    @RegisterExtension
    static final ClearedProperty BYPASS_DEFAULT = new ClearedProperty("sandboxed.publish.bypass"); // auto

    @Test
    void aProcessStartedAfterManyStillRunningCanBindAndConnect() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            List<SandboxProcess> running = new ArrayList<>();
            for (int i = 0; i < RUNNING; i++) {
                running.add(sandbox.spawn(ProcessSpec.of("sleep", "600")));
            }
            String script = "import errno, socket\n"
                    + "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                    + "s.bind(('0.0.0.0', 8080)); s.listen(8)\n"
                    + "inner = socket.socket(); inner.bind(('127.0.0.1', 9000)); inner.listen(8)\n"
                    + "c = socket.socket(); print('connect', errno.errorcode.get(c.connect_ex(('127.0.0.1', 9000)), 'ok'))\n";
            ExecResult r = sandbox.exec("python3", "-c", script);
            assertThat(r.stdout()).as(r.toString()).isEqualTo("connect ok\n");
            assertThat(r.exitCode()).isZero();
            running.forEach(SandboxProcess::kill);
        }
    }
}
