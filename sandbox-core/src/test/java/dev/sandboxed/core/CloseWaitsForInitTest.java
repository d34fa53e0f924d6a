package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** When close() returns, the sandbox's own init has exited too, not only everything it ran. */
@RequiresSandbox
class CloseWaitsForInitTest {
    private static final int ROUNDS = 40;

    @Test
    void noInitRunsOnceCloseReturned() throws IOException {
        List<String> running = new ArrayList<>();
        long closing = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Sandbox sandbox = Sandbox.start(SandboxSpec.defaults());
            sandbox.exec("/bin/true");
            int pid = sandbox.pid();
            long before = System.nanoTime();
            sandbox.close();
            closing += System.nanoTime() - before;
            String state = state(pid);
            if (!state.equals("gone") && !state.equals("Z") && !state.equals("X")) {
                running.add(pid + " " + state);
            }
        }
        System.out.printf("close() took %.2f ms on average over %d sandboxes%n", closing / 1e6 / ROUNDS, ROUNDS);
        assertThat(running).as("inits still running after close()").isEmpty();
    }

    /** The state letter of /proc/PID/stat (Z: exited, not yet reaped; X: being reaped), or "gone". */
    private static String state(int pid) throws IOException {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return String.valueOf(stat.charAt(stat.lastIndexOf(')') + 2));
        } catch (NoSuchFileException e) {
            return "gone";
        } catch (IOException e) {
            // the process vanished between open and read: the kernel answers ESRCH
            if (!Files.exists(Path.of("/proc/" + pid))) {
                return "gone";
            }
            throw e;
        }
    }
}
