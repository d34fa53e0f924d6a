package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    void syscallsAfterLinux61HaveTheirKernelNumbers() {
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64, SyscallArch.X86)) {
            assertThat(nr(arch, "cachestat")).as(arch + " cachestat").isEqualTo(451);
            assertThat(nr(arch, "fchmodat2")).as(arch + " fchmodat2").isEqualTo(452);
            assertThat(nr(arch, "futex_wake")).as(arch + " futex_wake").isEqualTo(454);
            assertThat(nr(arch, "futex_wait")).as(arch + " futex_wait").isEqualTo(455);
            assertThat(nr(arch, "mseal")).as(arch + " mseal").isEqualTo(462);
            assertThat(nr(arch, "file_setattr")).as(arch + " file_setattr").isEqualTo(469);
        }
        assertThat(nr(SyscallArch.X32, "fchmodat2")).isEqualTo(0x40000000 + 452);
        assertThat(nr(SyscallArch.X86_64, "uretprobe")).isEqualTo(335);
        assertThat(nr(SyscallArch.X86_64, "uprobe")).isEqualTo(336);
        assertThat(SyscallTable.of(SyscallArch.AARCH64).numberOf("uprobe")).isEmpty();
        // x86_64 185 is mainline's reserved "security" slot; the RSBAC tree the 6.18 table came from renames it.
        assertThat(nr(SyscallArch.X86_64, "security")).isEqualTo(185);
        assertThat(SyscallTable.of(SyscallArch.X86_64).isNewerThanTable(469)).isFalse();
        assertThat(SyscallTable.of(SyscallArch.X86_64).isNewerThanTable(470)).isTrue();
        assertThat(SyscallTable.of(SyscallArch.X32).isNewerThanTable(0x40000000L + 469)).isFalse();
        assertThat(SyscallTable.of(SyscallArch.X32).isNewerThanTable(0x40000000L + 470)).isTrue();
    }

    @Test
    void checkedInTablesMatchTheGenerator(@TempDir Path out) throws IOException, InterruptedException {
        runGenerator("--out", out.toString());
        Path checkedIn = Path.of("src/main/resources/dev/sandboxed/core/internal/seccomp");
        for (String abi : List.of("x86_64", "i386", "x32", "aarch64")) {
            String name = "syscalls-" + abi + ".txt";
            assertThat(Files.readAllLines(out.resolve(name))).as(name).isEqualTo(Files.readAllLines(checkedIn.resolve(name)));
        }
    }

    /** The table files agree with the installed UAPI headers on every syscall both number. */
    @Test
    void tableFilesAgreeWithInstalledHeaders() throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/usr/include/asm-generic/unistd.h")), "kernel headers are not installed");
        String log = runGenerator("--check-headers", "/usr/include");
        assertThat(log).contains("x86_64: ", "aarch64: ");
    }

    private static String runGenerator(String... args) throws IOException, InterruptedException {
        Path script = Path.of("scripts/gen-syscall-tables.py");
        Assumptions.assumeTrue(Files.isRegularFile(script), "run from the sandbox-core directory");
        List<String> command = new ArrayList<>(List.of("python3", script.toString()));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("python3 is not available: " + e.getMessage());
            throw e;
        }
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        return log;
    }
}
