package dev.sandboxed.core.seccomp;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

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
        Path checkedIn = Path.of("src/main/resources/dev/sandboxed/core/seccomp");
        for (String abi : List.of("x86_64", "i386", "x32", "aarch64")) {
            String name = "syscalls-" + abi + ".txt";
            // The same headers must give the same table; other header versions legitimately differ.
            Assumptions.assumeTrue(headersLine(out.resolve(name)).equals(headersLine(checkedIn.resolve(name))),
                    "installed kernel headers differ from those the tables were generated from");
            assertThat(Files.readString(out.resolve(name))).as(name).isEqualTo(Files.readString(checkedIn.resolve(name)));
        }
    }

    private static String headersLine(Path table) throws IOException {
        return Files.readAllLines(table).stream().filter(l -> l.startsWith("# Linux UAPI headers")).findFirst().orElse("");
    }
}
