package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * An idle sandbox costs the host little memory: its init is a clone of the server and owns only the pages it wrote.
 * Set-up's deep stack and its table of mounts are given back once the sandbox is ready, so about a dozen pages stay
 * private to it (17 before they were). Only root reads a non-dumpable process's smaps.
 */
@RequiresSandbox
class InitFootprintTest {
    /** Private dirty KiB an idle init may hold: 48 measured on Debian 12 (x86_64), a page or two of slack. */
    private static final long MAX_PRIVATE_KIB = 56;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime(); // a fresh server: no other class's sandboxes share its pages

    @Test
    void anIdleInitKeepsFewPagesOfItsOwn() throws IOException, InterruptedException {
        assumeTrue(HostFacts.current().isRoot(), "reading another process's smaps needs root: the init is not dumpable");
        try (Sandbox sandbox = runtime.start(SandboxSpec.defaults())) {
            // The init gives set-up's pages back just after it says it is ready: give it a moment to get there.
            long privateKib = rollupKib(sandbox.pid(), "Private_Dirty");
            for (int i = 0; i < 50 && privateKib > MAX_PRIVATE_KIB; i++) {
                Thread.sleep(20);
                privateKib = rollupKib(sandbox.pid(), "Private_Dirty");
            }
            assertThat(privateKib)
                    .as("KiB of memory only the idle init holds (/proc/PID/smaps_rollup)")
                    .isLessThanOrEqualTo(MAX_PRIVATE_KIB);
        }
    }

    private static long rollupKib(int pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
            }
        }
        throw new AssertionError(field + " missing from /proc/" + pid + "/smaps_rollup");
    }
}
