package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * How runc and libseccomp combine rules (unconditional rules win, rules repeating the default
 * are skipped, one argument compared twice is ORed, includes/excludes), checked on a profile
 * written to exercise each case: once with explicit expectations, once against the reference.
 */
class SeccompProfileSemanticsTest {
    private static final int X86_64 = SyscallArch.X86_64.auditArch();
    private static final int I386 = SyscallArch.X86.auditArch();
    private static final String PROFILE = "/seccomp/libseccomp-merge.json";

    private static BpfProgram compile(Set<Capability> caps, KernelVersion kernel, SyscallArch arch) {
        OciProfile profile = OciProfileParser.parse(PROFILE, SeccompProfileSemanticsTest.class.getResourceAsStream(PROFILE));
        return SeccompCompiler.compile(profile.policy(caps, arch, kernel).orElseThrow(), arch, false).program();
    }

    private static SeccompAction x86_64(BpfProgram program, String syscall, long... args) {
        long nr = SyscallTable.of(SyscallArch.X86_64).numberOf(syscall).orElseThrow();
        return BpfInterpreter.decide(program, SeccompData.of(X86_64, nr, args));
    }

    @Test
    void rulesCombineAsRuncAndLibseccompDo() {
        BpfProgram p = compile(EnumSet.of(Capability.NET_ADMIN, Capability.SYS_NICE), new KernelVersion(6, 1, 0), SyscallArch.X86_64);
        SeccompAction eperm = SeccompAction.errno(1);
        assertThat(x86_64(p, "read", 3)).as("a later unconditional rule replaces conditional ones").isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "write", 1)).as("an earlier unconditional rule wins").isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "close", 0)).as("rules repeating the default are skipped").isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "close", 2)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "fcntl", 0, 1)).as("same argument twice: ORed").isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "fcntl", 0, 2)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "fcntl", 7, 3)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "fcntl", 6, 3)).isEqualTo(eperm);
        assertThat(x86_64(p, "lseek", 4, 0, 0)).as("different arguments: ANDed").isEqualTo(SeccompAction.LOG);
        assertThat(x86_64(p, "lseek", 5, 0, 0)).isEqualTo(eperm);
        assertThat(x86_64(p, "lseek", 4, 0, 1)).isEqualTo(SeccompAction.KILL_PROCESS);
        assertThat(x86_64(p, "getpid")).as("minKernel 7.0 on 6.1").isEqualTo(eperm);
        assertThat(x86_64(p, "getppid")).as("excluded from 5.4 on").isEqualTo(eperm);
        assertThat(x86_64(p, "gettid")).as("all included caps held, arch amd64").isEqualTo(SeccompAction.KILL_THREAD);
        assertThat(x86_64(p, "uname")).as("arm64 only").isEqualTo(eperm);
        assertThat(x86_64(p, "getuid")).as("old single-name format").isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "geteuid")).as("a capability nobody can hold").isEqualTo(eperm);
        assertThat(x86_64(p, "getegid")).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "ioctl", 0, 0xffffffff00005412L)).isEqualTo(SeccompAction.ALLOW);
        assertThat(x86_64(p, "ioctl", 0, 0x5412)).as("64-bit comparison on x86_64").isEqualTo(eperm);
        long i386Ioctl = SyscallTable.of(SyscallArch.X86).numberOf("ioctl").orElseThrow();
        assertThat(BpfInterpreter.decide(p, SeccompData.of(I386, i386Ioctl, 0, 0x5412)))
                .as("i386 registers are 32 bits: only the low half is compared").isEqualTo(SeccompAction.ALLOW);

        BpfProgram fewerCaps = compile(EnumSet.of(Capability.NET_ADMIN), new KernelVersion(5, 3, 0), SyscallArch.X86_64);
        assertThat(x86_64(fewerCaps, "gettid")).as("one included cap missing").isEqualTo(eperm);
        assertThat(x86_64(fewerCaps, "getppid")).as("kernel older than the exclusion").isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void everyCallMatchesTheReferenceEvaluator() {
        JsonNode json = ReferenceProfileEvaluator.readResource(PROFILE);
        int checked = 0;
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
            for (Set<Capability> caps : List.of(EnumSet.noneOf(Capability.class), EnumSet.of(Capability.NET_ADMIN, Capability.SYS_NICE))) {
                for (int[] kernel : new int[][] {{5, 3}, {6, 1}, {7, 2}}) {
                    BpfProgram program = compile(caps, new KernelVersion(kernel[0], kernel[1], 0), arch);
                    Set<String> names = new HashSet<>();
                    caps.forEach(c -> names.add(c.capName()));
                    String nativeName = arch == SyscallArch.X86_64 ? "x86_64" : "aarch64";
                    ReferenceProfileEvaluator reference = new ReferenceProfileEvaluator(json, names, nativeName, kernel,
                            ReferenceProfileEvaluator.Hardening.NONE, false);
                    List<String> abis = arch == SyscallArch.X86_64 ? List.of("x86_64", "i386") : List.of("aarch64");
                    for (String abi : abis) {
                        int audit = abi.equals("i386") ? I386 : arch.auditArch();
                        for (var entry : ReferenceTables.load(abi).entrySet()) {
                            for (long[] args : ProbeArguments.forSyscall(json, entry.getValue(), Set.of())) {
                                assertThat(BpfInterpreter.run(program, SeccompData.of(audit, entry.getKey(), args)).returnValue())
                                        .as("%s %s %s", abi, entry.getValue(), Arrays.toString(args))
                                        .isEqualTo(reference.decide(audit, entry.getKey(), args));
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(5000);
    }
}
