package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** A low open-file limit holds for the process and does not stop it from starting. */
@RequiresSandbox
class OpenFileLimitTest {
    /**
     * Puts 256 descriptors in flight on a unix socket nobody reads (they count against this user machine-wide, as
     * those of any busy process of the same user would), prints "ready" and waits for stdin to close.
     */
    private static final String IN_FLIGHT = """
            import os, socket, sys
            a, b = socket.socketpair()
            for _ in range(32):
                socket.send_fds(a, [b'x'], [os.open('/dev/null', os.O_RDONLY) for _ in range(8)])
            print('ready', flush=True)
            sys.stdin.read()
            """;

    @Test
    void aProcessWithFewerFilesThanItsUserHasInFlightStarts() throws Exception {
        Process holder = new ProcessBuilder("python3", "-c", IN_FLIGHT).redirectErrorStream(true).start();
        try {
            String line = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(line).isEqualTo("ready");
            // The seccomp listener is handed over before the limit is lowered: with 32 it would be refused
            // (ETOOMANYREFS: more descriptors in flight than the sender may open).
            SandboxSpec spec = SandboxSpec.builder().rlimit(Rlimit.NOFILE, 32, 32).build();
            ExecResult r = Sandbox.run(spec, ProcessSpec.of("sh", "-c", "ulimit -n; ulimit -Hn"));
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout()).isEqualTo("32\n32\n");
        } finally {
            holder.getOutputStream().close();
            holder.waitFor();
        }
    }
}
