package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/** Specific decisions of the built-in default profile that a sandbox relies on. */
class SeccompDefaultProfileTest {
    private static final KernelVersion KERNEL = new KernelVersion(6, 1, 0);
    private static final int X86_64 = SyscallArch.X86_64.auditArch();
    private static final int I386 = SyscallArch.X86.auditArch();
    private static final SeccompAction EPERM = SeccompAction.errno(1);
    private static final SeccompAction ENOSYS = SeccompAction.errno(38);
    private static final long CLONE_NEWUSER = 0x10000000L;
    private static final long SIGCHLD = 17;
    private static final long AF_UNIX = 1;
    private static final long AF_INET = 2;
    private static final long AF_ALG = 38;
    private static final long AF_VSOCK = 40;

    private static SeccompFilter defaultFilter(Set<Capability> caps, boolean notify) {
        return SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), caps, SyscallArch.X86_64, KERNEL, notify).orElseThrow();
    }

    private static SeccompAction x86_64(String syscall, long... args) {
        return call(defaultFilter(Capability.DOCKER_DEFAULT, false), X86_64, SyscallTable.of(SyscallArch.X86_64), syscall, args);
    }

    private static SeccompAction call(SeccompFilter filter, int audit, SyscallTable table, String syscall, long... args) {
        long nr = Integer.toUnsignedLong(table.numberOf(syscall).orElseThrow());
        return BpfInterpreter.decide(filter.program(), SeccompData.of(audit, nr, args));
    }

    @Test
    void cloneCreatingAUserNamespaceIsRefusedButPlainCloneIsAllowed() {
        assertThat(x86_64("clone", SIGCHLD)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("clone", 0x003d0f00L /* pthread_create's flags */)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("clone", CLONE_NEWUSER | SIGCHLD)).isEqualTo(EPERM);
        assertThat(x86_64("clone", 0x20000000L /* CLONE_NEWPID */)).isEqualTo(EPERM);
        SeccompFilter admin = defaultFilter(EnumSet.of(Capability.SYS_ADMIN), false);
        assertThat(call(admin, X86_64, SyscallTable.of(SyscallArch.X86_64), "clone", CLONE_NEWUSER)).isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void clone3FailsWithEnosysSoLibcFallsBackToClone() {
        assertThat(x86_64("clone3")).isEqualTo(ENOSYS);
        SeccompFilter notify = defaultFilter(Capability.DOCKER_DEFAULT, true);
        assertThat(call(notify, X86_64, SyscallTable.of(SyscallArch.X86_64), "clone3")).isEqualTo(ENOSYS);
        SeccompFilter aarch64 = SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.AARCH64, KERNEL, false).orElseThrow();
        assertThat(call(aarch64, SyscallArch.AARCH64.auditArch(), SyscallTable.of(SyscallArch.AARCH64), "clone3")).isEqualTo(ENOSYS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
            "kexec_load", "kexec_file_load", "init_module", "finit_module", "open_by_handle_at", "fsopen", "fsmount",
            "move_mount", "mount", "umount2", "unshare", "setns", "pivot_root", "ptrace" + "_does_not_exist"})
    void dangerousSyscallsAreRefused(String syscall) {
        if (SyscallTable.of(SyscallArch.X86_64).numberOf(syscall).isEmpty()) {
            assertThat(syscall).endsWith("_does_not_exist"); // guards the list itself against typos
            return;
        }
        assertThat(x86_64(syscall)).isEqualTo(EPERM);
    }

    @Test
    void everydaySyscallsAreAllowed() {
        for (String syscall : new String[] {"read", "write", "openat", "mmap", "futex", "execve", "exit_group", "ioctl",
                "arch_prctl", "ptrace", "rt_sigaction", "clone", "wait4", "epoll_wait"}) {
            assertThat(x86_64(syscall)).as(syscall).isEqualTo(SeccompAction.ALLOW);
        }
    }

    @Test
    void terminalInjectionIoctlsAreRefusedEvenWithHighBitsSet() {
        assertThat(x86_64("ioctl", 0, 0x5401 /* TCGETS */)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("ioctl", 0, 0x5412)).isEqualTo(EPERM);
        assertThat(x86_64("ioctl", 0, 0xffffffff00005412L)).isEqualTo(EPERM);
        assertThat(x86_64("ioctl", 0, 0x0000000100005412L)).isEqualTo(EPERM);
        assertThat(x86_64("ioctl", 0, 0x541C)).isEqualTo(EPERM);
        assertThat(x86_64("ioctl", 0, 0xdead0000_0000541CL)).isEqualTo(EPERM);
        // Docker's own profile lets them through: that is the difference the built-in default exists for.
        SeccompFilter docker = SeccompFilters.forSandbox(SeccompProfiles.dockerDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.X86_64, KERNEL, false).orElseThrow();
        assertThat(call(docker, X86_64, SyscallTable.of(SyscallArch.X86_64), "ioctl", 0, 0x5412)).isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void personalityIsLimitedToDockersValues() {
        for (long allowed : new long[] {0, 8 /* PER_LINUX32 */, 0x20000 /* UNAME26 */, 0x20008, 0xffffffffL /* query */}) {
            assertThat(x86_64("personality", allowed)).as("personality(0x%x)", allowed).isEqualTo(SeccompAction.ALLOW);
        }
        for (long refused : new long[] {0x0040000 /* ADDR_NO_RANDOMIZE */, 0x0400000 /* READ_IMPLIES_EXEC */, 1, 9}) {
            assertThat(x86_64("personality", refused)).as("personality(0x%x)", refused).isEqualTo(EPERM);
        }
    }

    @Test
    void cryptoAndVsockSocketsAreRefused() {
        assertThat(x86_64("socket", AF_UNIX)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("socket", AF_INET)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("socket", 39 /* AF_QIPCRTR */)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("socket", 41)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("socket", AF_ALG)).isEqualTo(EPERM);
        assertThat(x86_64("socket", AF_VSOCK)).isEqualTo(EPERM);
        // The kernel reads the family as an int: high bits must not sneak AF_ALG past "family > 40".
        assertThat(x86_64("socket", AF_ALG | 1L << 32)).isEqualTo(EPERM);
        SeccompFilter docker = SeccompFilters.forSandbox(SeccompProfiles.dockerDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.X86_64, KERNEL, false).orElseThrow();
        assertThat(call(docker, X86_64, SyscallTable.of(SyscallArch.X86_64), "socket", AF_ALG | 1L << 32))
                .as("Docker's 64-bit comparison").isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void i386CallsAreJudgedByTheI386Table() {
        SeccompFilter filter = defaultFilter(Capability.DOCKER_DEFAULT, false);
        SyscallTable i386 = SyscallTable.of(SyscallArch.X86);
        assertThat(call(filter, I386, i386, "socket", AF_INET)).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(filter, I386, i386, "socket", AF_ALG)).isEqualTo(EPERM);
        assertThat(call(filter, I386, i386, "ioctl", 0, 0x5412)).isEqualTo(EPERM);
        assertThat(call(filter, I386, i386, "ioctl", 0, 0x5401)).isEqualTo(SeccompAction.ALLOW);
        // i386 101 is ioperm (refused); on x86_64, 101 is ptrace (allowed).
        assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(I386, 101))).isEqualTo(EPERM);
        assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(X86_64, 101))).isEqualTo(SeccompAction.ALLOW);
        // i386 41 is dup; x86_64 41 is socket, which would look at the family.
        assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(I386, 41, AF_ALG))).isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void unknownArchitecturesAreKilled() {
        SeccompFilter filter = defaultFilter(Capability.DOCKER_DEFAULT, false);
        for (int arch : new int[] {0x40000028 /* ARM */, 0xC00000B7 /* AARCH64 on an x86_64 filter */, 0x80000008, 0, 0x12345678}) {
            assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(arch, 0))).isEqualTo(SeccompAction.KILL_PROCESS);
        }
    }

    @Test
    void syscallsNewerThanTheTableGetEnosys() {
        long highest = SyscallTable.of(SyscallArch.X86_64).entries().values().stream().mapToLong(Integer::longValue).max().orElseThrow();
        SeccompFilter filter = defaultFilter(Capability.DOCKER_DEFAULT, false);
        for (long nr : new long[] {highest + 1, highest + 2, 1000, 0x3fffffffL, 0xffffffffL}) {
            assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(X86_64, nr))).as("nr %d", nr).isEqualTo(ENOSYS);
        }
        // Numbers within the table keep the profile's decisions: the highest one needs CAP_SYS_NICE.
        assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(X86_64, highest))).isEqualTo(EPERM);
        assertThat(x86_64("futex_waitv")).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64("keyctl")).isEqualTo(EPERM);
    }

    @Test
    void reportingDenialsTurnsTheDefaultErrnoIntoUserNotif() {
        SeccompFilter plain = defaultFilter(Capability.DOCKER_DEFAULT, false);
        SeccompFilter notify = defaultFilter(Capability.DOCKER_DEFAULT, true);
        assertThat(plain.notifyDenials()).isFalse();
        assertThat(notify.notifyDenials()).isTrue();
        assertThat(notify.defaultErrno()).hasValue(1);
        assertThat(plain.defaultErrno()).hasValue(1);
        SyscallTable table = SyscallTable.of(SyscallArch.X86_64);
        assertThat(call(plain, X86_64, table, "keyctl")).isEqualTo(EPERM);
        assertThat(call(notify, X86_64, table, "keyctl")).isEqualTo(SeccompAction.USER_NOTIF);
        assertThat(call(notify, X86_64, table, "clone", CLONE_NEWUSER)).isEqualTo(SeccompAction.USER_NOTIF);
        assertThat(call(notify, X86_64, table, "read")).isEqualTo(SeccompAction.ALLOW);
        // Explicit rules keep their own action; only the default is reported.
        assertThat(call(notify, X86_64, table, "ioctl", 0, 0x5412)).isEqualTo(EPERM);
        assertThat(BpfInterpreter.decide(notify.program(), SeccompData.of(X86_64, 1000))).isEqualTo(ENOSYS);
        assertThat(BpfInterpreter.decide(notify.program(), SeccompData.of(0x40000028, 0))).isEqualTo(SeccompAction.KILL_PROCESS);
    }

    @Test
    void programsFitTheKernelLimitAndEveryJumpLandsInside() {
        for (SyscallArch arch : new SyscallArch[] {SyscallArch.X86_64, SyscallArch.AARCH64}) {
            for (boolean notify : new boolean[] {false, true}) {
                BpfProgram program = SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT,
                        arch, KERNEL, notify).orElseThrow().program();
                BpfVerifier.verify(program);
                assertThat(program.instructionCount()).isLessThan(4096);
                assertThat(program.bytes()).hasSize(program.instructionCount() * 8);
            }
        }
    }

    @Test
    void unconfinedMeansNoProgram() {
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.UNCONFINED, Capability.DOCKER_DEFAULT, false)).isEmpty();
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, Capability.DOCKER_DEFAULT, false)).isPresent();
    }

    @Test
    void filtersAreCompiledOnceAndServedFromTheCache() {
        SeccompFilter first = SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, Capability.DOCKER_DEFAULT, false).orElseThrow();
        SeccompFilter second = SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, EnumSet.copyOf(Capability.DOCKER_DEFAULT), false).orElseThrow();
        assertThat(second).isSameAs(first);
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, Capability.DOCKER_DEFAULT, false);
        }
        long perCallMicros = (System.nanoTime() - start) / 10_000 / 1000;
        assertThat(perCallMicros).as("microseconds per cached lookup").isLessThan(100);
    }
}
