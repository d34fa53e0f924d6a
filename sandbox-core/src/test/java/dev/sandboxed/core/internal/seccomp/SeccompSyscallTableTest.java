package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.KernelVersion;

/** The generated tables hold the numbers the kernel ABI fixes, and regenerate identically. */
class SeccompSyscallTableTest {

    private static int nr(SyscallArch arch, String name) {
        return SyscallTable.of(arch).numberOf(name).orElseThrow(() -> new AssertionError(name + " missing for " + arch));
    }

    @Test
    void wellKnownNumbers() {
        assertThat(nr(SyscallArch.X86_64, "read")).isZero();
        assertThat(nr(SyscallArch.X86_64, "socket")).isEqualTo(41);
        assertThat(nr(SyscallArch.X86_64, "openat")).isEqualTo(257);
        assertThat(nr(SyscallArch.X86_64, "clone3")).isEqualTo(435);
        assertThat(nr(SyscallArch.X86, "socketcall")).isEqualTo(102);
        assertThat(nr(SyscallArch.X86, "socket")).isEqualTo(359);
        assertThat(nr(SyscallArch.X86, "ioctl")).isEqualTo(54);
        assertThat(nr(SyscallArch.X32, "read")).isEqualTo(0x40000000);
        assertThat(nr(SyscallArch.X32, "rt_sigaction")).isEqualTo(0x40000000 + 512);
        assertThat(nr(SyscallArch.X32, "ioctl")).isEqualTo(0x40000000 + 514);
        assertThat(nr(SyscallArch.AARCH64, "openat")).isEqualTo(56);
        assertThat(nr(SyscallArch.AARCH64, "fstat")).isEqualTo(80);
        assertThat(nr(SyscallArch.AARCH64, "clock_gettime")).isEqualTo(113);
        assertThat(nr(SyscallArch.AARCH64, "clone3")).isEqualTo(435);
        assertThat(nr(SyscallArch.AARCH64, "memfd_secret")).isEqualTo(447);
        // arm64 has no legacy syscalls and no 32-bit time variants.
        for (String absent : List.of("open", "fork", "stat", "clock_gettime64", "fcntl64")) {
            assertThat(SyscallTable.of(SyscallArch.AARCH64).numberOf(absent)).as(absent).isEmpty();
        }
        assertThat(SyscallTable.of(SyscallArch.ARM).isEmpty()).isTrue();
    }

    @Test
    void numbersMapBackToNames() {
        assertThat(SyscallTable.of(SyscallArch.X86_64).nameOf(41)).isEqualTo("socket");
        assertThat(SyscallTable.of(SyscallArch.X86).nameOf(41)).isEqualTo("dup");
        assertThat(SyscallTable.of(SyscallArch.X32).nameOf(0x40000000L + 512)).isEqualTo("rt_sigaction");
        assertThat(SyscallTable.of(SyscallArch.X86_64).nameOf(100_000)).isNull();
    }

    @Test
    void kernelReleasesParse() {
        assertThat(KernelVersion.parse("6.1.0-27-amd64")).hasValue(new KernelVersion(6, 1, 0));
        assertThat(KernelVersion.parse("4.8")).hasValue(new KernelVersion(4, 8, 0));
        assertThat(KernelVersion.parse("5.10.209+")).hasValue(new KernelVersion(5, 10, 209));
        assertThat(KernelVersion.parse("unknown")).isEmpty();
        assertThat(new KernelVersion(4, 8, 0)).isLessThan(new KernelVersion(4, 10, 0));
        assertThat(KernelVersion.host().major()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void x32HasItsOwnNewerRange() {
        SyscallTable x32 = SyscallTable.of(SyscallArch.X32);
        long base = 0x40000000L;
        assertThat(x32.isNewerThanTable(base + 13)).as("x86_64 rt_sigaction's slot is unused on x32, not new").isFalse();
        assertThat(x32.isNewerThanTable(base + 511)).isTrue();
        assertThat(x32.isNewerThanTable(base + 512)).isFalse();
        assertThat(x32.isNewerThanTable(base + 600)).isTrue();
    }

    @Test
    void checkedInTablesMatchTheGenerator(@TempDir Path out) throws IOException, InterruptedException {
        Path script = Path.of("scripts/gen-syscall-tables.py");
        Assumptions.assumeTrue(Files.isRegularFile(script), "run from the sandbox-core directory");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/usr/include/asm-generic/unistd.h")), "kernel headers are not installed");
        Process p;
        try {
            p = new ProcessBuilder("python3", script.toString(), "--out", out.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("python3 is not available: " + e.getMessage());
            return;
        }
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        Path checkedIn = Path.of("src/main/resources/dev/sandboxed/core/internal/seccomp");
        for (String abi : List.of("x86_64", "i386", "x32", "aarch64")) {
            String name = "syscalls-" + abi + ".txt";
            // Headers of the same kernel series (6.1.x) must give the same table; another series legitimately
            // has other syscalls.
            Assumptions.assumeTrue(headersSeries(out.resolve(name)).equals(headersSeries(checkedIn.resolve(name))),
                    () -> "installed kernel headers are of another series than the tables' (" + headersSeries(out.resolve(name))
                            + " vs " + headersSeries(checkedIn.resolve(name)) + ")");
            assertThat(withoutHeadersLine(out.resolve(name))).as(name).isEqualTo(withoutHeadersLine(checkedIn.resolve(name)));
        }
    }

    /** "6.1" from "# Linux UAPI headers 6.1.187". */
    private static String headersSeries(Path table) {
        try {
            String version = Files.readAllLines(table).stream().filter(l -> l.startsWith("# Linux UAPI headers"))
                    .findFirst().orElse("").replace("# Linux UAPI headers", "").trim();
            String[] parts = version.split("\\.");
            return parts.length >= 2 ? parts[0] + "." + parts[1] : version;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> withoutHeadersLine(Path table) throws IOException {
        return Files.readAllLines(table).stream().filter(l -> !l.startsWith("# Linux UAPI headers")).toList();
    }
}
