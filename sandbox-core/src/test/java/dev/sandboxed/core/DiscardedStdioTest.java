package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Discarded streams are the sandbox's /dev/null, which its init opened before any process ran. */
@RequiresSandbox
class DiscardedStdioTest {
    @Test
    void discardedStdinAndStdoutAreDevNull() throws IOException {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            SandboxProcess p = sandbox.spawn(ProcessSpec.builder("sh", "-c",
                    // $(...): a redirection of a command would be made in the shell itself (dash), changing its fd 1
                    "ids=$(stat -L -c %t:%T /proc/$$/fd/0 /proc/$$/fd/1); echo \"$ids\" >&2; echo lost;"
                            + " if read line; then echo read >&2; else echo eof >&2; fi")
                    .stdout(Stdio.discard()).build());
            String stderr = new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor().exitCode()).as(stderr).isZero();
            assertThat(stderr).isEqualTo("1:3\n1:3\neof\n");
        }
    }

    @Test
    void aProcessWithEveryStreamDiscardedRunsToItsEnd() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            SandboxProcess p = sandbox.spawn(ProcessSpec.builder("sh", "-c", "echo out; echo err >&2; exit 7")
                    .stdout(Stdio.discard()).stderr(Stdio.discard()).build());
            assertThat(p.waitFor().exitCode()).isEqualTo(7);
        }
    }

    /** The host's /dev/null, which the init holds as its own stdio: what the spec puts at /dev/null is not used. */
    @Test
    void aDeviceInPlaceOfDevNullDoesNotChangeWhatDiscardMeans() {
        SandboxSpec zeroAtNull = SandboxSpec.builder().device(Device.parse("/dev/zero:/dev/null:c:1:5")).build();
        try (Sandbox sandbox = Sandbox.start(zeroAtNull)) {
            assertThat(sandbox.exec("sh", "-c", "head -c 1 /dev/null | wc -c").stdout()).as("the spec's device")
                    .isEqualTo("1\n");
            assertThat(sandbox.exec("sh", "-c", "head -c 1 | wc -c").stdout()).as("a discarded stdin").isEqualTo("0\n");
        }
    }

    @Test
    void discardedStreamsWorkUnderATmpfsOverDev() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.builder().tmpfs("/dev", 1 << 20).build())) {
            ExecResult r = sandbox.exec("sh", "-c", "test -e /dev/null || echo no /dev/null; head -c 1 | wc -c");
            assertThat(r.stdout()).as(r.toString()).isEqualTo("no /dev/null\n0\n");
        }
    }
}
