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
 * private to it (16 before they were). Only root reads a non-dumpable process's smaps.
 */
@RequiresSandbox
class InitFootprintTest {
    /**
     * Pages an idle init may hold as its own: 11 or 12 measured on Debian 12 (x86_64), one of slack. The stack's share
     * is 3 or 4 pages, as address randomisation places the frames across page boundaries.
     */
    private static final long MAX_PRIVATE_PAGES = 13;

    /**
     * The init's own page of the heap. The server writes its heap after each clone; were those pages shared with the
     * new init, the init would keep their old copies to itself.
     */
    private static final long MAX_PRIVATE_HEAP_PAGES = 1;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime(); // a fresh server: no other class's sandboxes share its pages

    @Test
    void anIdleInitKeepsFewPagesOfItsOwn() throws IOException, InterruptedException {
        assumeTrue(HostFacts.current().isRoot(), "reading another process's smaps needs root: the init is not dumpable");
        try (Sandbox sandbox = runtime.start(SandboxSpec.defaults())) {
            long pageKib = pageKib(sandbox.pid());
            // The init gives set-up's pages back just after it says it is ready: give it a moment to get there.
            long pages = rollupKib(sandbox.pid(), "Private_Dirty") / pageKib;
            for (int i = 0; i < 50 && pages > MAX_PRIVATE_PAGES; i++) {
                Thread.sleep(20);
                pages = rollupKib(sandbox.pid(), "Private_Dirty") / pageKib;
            }
            assertThat(pages)
                    .as("pages of memory only the idle init holds (/proc/PID/smaps_rollup, %d KiB each)", pageKib)
                    .isLessThanOrEqualTo(MAX_PRIVATE_PAGES);
            assertThat(mappingKib(sandbox.pid(), "[heap]", "Private_Dirty") / pageKib)
                    .as("pages of the heap only the idle init holds (/proc/PID/smaps, %d KiB each)", pageKib)
                    .isLessThanOrEqualTo(MAX_PRIVATE_HEAP_PAGES);
        }
    }

    /** The kernel's page size (4 KiB on x86_64, 4, 16 or 64 KiB on aarch64), from the init's first mapping. */
    private static long pageKib(int pid) throws IOException {
        try (var lines = Files.lines(Path.of("/proc/" + pid + "/smaps"))) {
            return lines.filter(l -> l.startsWith("KernelPageSize:"))
                    .findFirst()
                    .map(l -> Long.parseLong(l.substring("KernelPageSize:".length()).replace("kB", "").strip()))
                    .orElseThrow(() -> new AssertionError("no KernelPageSize in /proc/" + pid + "/smaps"));
        }
    }

    /** A field of the mapping whose header line ends with {@code name}, or 0 if there is no such mapping. */
    private static long mappingKib(int pid, String name, String field) throws IOException {
        boolean inMapping = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            if (!line.contains(":") || line.indexOf(' ') < line.indexOf(':')) {
                inMapping = line.endsWith(name); // a header: address range, permissions, offset, device, inode, name
            } else if (inMapping && line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
            }
        }
        return 0;
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
