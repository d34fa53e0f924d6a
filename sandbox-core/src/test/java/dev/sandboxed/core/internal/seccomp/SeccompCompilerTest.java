package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.SpecException;

/** The compiler on hand-built policies: ABI separation, comparisons, long jumps, size and speed. */
class SeccompCompilerTest {
    private static final int X86_64 = SyscallArch.X86_64.auditArch();
    private static final SeccompAction EPERM = SeccompAction.errno(1);

    private static SeccompPolicy policy(Set<SyscallArch> abis, SyscallRule... rules) {
        return new SeccompPolicy(EPERM, abis, List.of(rules));
    }

    @Test
    void x32NumbersNeverReachX86_64RulesWithoutX32() {
        SeccompPolicy onlyNative = policy(EnumSet.of(SyscallArch.X86_64),
                SyscallRule.unconditional("read", SeccompAction.ALLOW), SyscallRule.unconditional("write", SeccompAction.ALLOW));
        BpfProgram program = SeccompCompiler.compile(onlyNative, SyscallArch.X86_64, false).program();
        assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0))).isEqualTo(SeccompAction.ALLOW);
        for (long nr : new long[] {0x40000000L, 0x40000001L, 0x40000000L + 512, 0x7fffffffL, 0xC0000000L}) {
            assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, nr))).as("nr 0x%x", nr).isEqualTo(SeccompAction.KILL_PROCESS);
        }
        // i386 is not in the policy either.
        assertThat(BpfInterpreter.decide(program, SeccompData.of(SyscallArch.X86.auditArch(), 3))).isEqualTo(SeccompAction.KILL_PROCESS);
    }

    @Test
    void x32NumbersAreJudgedByTheX32TableWhenListed() {
        SeccompPolicy withX32 = policy(EnumSet.of(SyscallArch.X86_64, SyscallArch.X32),
                SyscallRule.unconditional("read", SeccompAction.ALLOW),
                SyscallRule.unconditional("rt_sigaction", SeccompAction.ALLOW)); // x86_64 13, x32 512
        BpfProgram program = SeccompCompiler.compile(withX32, SyscallArch.X86_64, false).program();
        assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0x40000000L))).isEqualTo(SeccompAction.ALLOW);
        assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0x40000000L + 512))).isEqualTo(SeccompAction.ALLOW);
        // x32 13 is not rt_sigaction (x32 uses 512): bit 30 plus an x86_64 number is not an x86_64 call.
        assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0x40000000L + 13))).isEqualTo(EPERM);
        assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0x40000000L + 1))).isEqualTo(EPERM);
        assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0x40000000L + 600))).isEqualTo(SeccompAction.errno(38));
    }

    @Test
    void syscallsMissingFromATableAreIgnoredForThatAbi() {
        SeccompPolicy p = policy(EnumSet.of(SyscallArch.AARCH64), SyscallRule.unconditional("open", SeccompAction.ALLOW),
                SyscallRule.unconditional("no_such_syscall", SeccompAction.ALLOW), SyscallRule.unconditional("openat", SeccompAction.ALLOW));
        BpfProgram program = SeccompCompiler.compile(p, SyscallArch.AARCH64, false).program();
        int aarch64 = SyscallArch.AARCH64.auditArch();
        assertThat(BpfInterpreter.decide(program, SeccompData.of(aarch64, 56 /* openat */))).isEqualTo(SeccompAction.ALLOW);
        assertThat(BpfInterpreter.decide(program, SeccompData.of(aarch64, 2 /* io_submit, not open */))).isEqualTo(EPERM);
    }

    @Test
    void permissiveDefaultsAreNotTurnedIntoEnosys() {
        SeccompPolicy denylist = new SeccompPolicy(SeccompAction.ALLOW, Set.of(),
                List.of(SyscallRule.unconditional("keyctl", SeccompAction.errno(1))));
        SeccompFilter filter = SeccompCompiler.compile(denylist, SyscallArch.X86_64, true);
        assertThat(filter.notifyDenials()).isFalse();
        assertThat(filter.defaultErrno()).isEmpty();
        assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(X86_64, 2000))).isEqualTo(SeccompAction.ALLOW);
        assertThat(BpfInterpreter.decide(filter.program(), SeccompData.of(X86_64, 250))).isEqualTo(EPERM);
    }

    /**
     * Random policies with every operator and width, many conditional rules (so jumps exceed 255
     * and need trampolines), checked call by call against the model's first-match semantics.
     */
    @Test
    void randomPoliciesBehaveLikeTheirModel() {
        Random random = new Random(20240229);
        SyscallTable table = SyscallTable.of(SyscallArch.X86_64);
        List<String> names = new ArrayList<>(table.entries().keySet());
        long[] interesting = {0, 1, 2, 0x7f, 0x80, 0xffffffffL, 0x100000000L, 0x1ffffffffL, -1L, Long.MIN_VALUE, 0x5412,
                0xffffffff00005412L, 0x7fffffffffffffffL};
        int checked = 0;
        int longJumps = 0;
        for (int round = 0; round < 30; round++) {
            List<SyscallRule> rules = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                String name = names.get(random.nextInt(40)); // few names: many rules per syscall
                List<ArgCondition> conditions = new ArrayList<>();
                for (int c = random.nextInt(3); c > 0; c--) {
                    ArgCondition.Op op = ArgCondition.Op.values()[random.nextInt(7)];
                    ArgCondition cond = new ArgCondition(random.nextInt(6), op, pick(random, interesting),
                            pick(random, interesting), random.nextBoolean() ? ArgCondition.Width.BITS_64 : ArgCondition.Width.LOW_32);
                    conditions.add(cond);
                }
                SeccompAction action = random.nextBoolean() ? SeccompAction.ALLOW : SeccompAction.errno(random.nextInt(200));
                rules.add(new SyscallRule(name, conditions, action));
            }
            SeccompPolicy p = new SeccompPolicy(SeccompAction.KILL_THREAD, Set.of(), rules);
            BpfProgram program = SeccompCompiler.compile(p, SyscallArch.X86_64, false).program();
            BpfVerifier.verify(program);
            longJumps += countLongJumps(program);
            for (int call = 0; call < 3000; call++) {
                String name = names.get(random.nextInt(45));
                long[] args = new long[6];
                for (int a = 0; a < 6; a++) {
                    args[a] = random.nextInt(4) == 0 ? random.nextLong() : pick(random, interesting) + random.nextInt(3) - 1;
                }
                SeccompAction expected = firstMatch(p, name, args);
                long nr = table.numberOf(name).orElseThrow();
                assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, nr, args)))
                        .as("%s%s under %s", name, Arrays.toString(args), rules).isEqualTo(expected);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(90_000);
        assertThat(longJumps).as("programs large enough to need JA trampolines").isPositive();
    }

    private static long pick(Random random, long[] values) {
        return values[random.nextInt(values.length)];
    }

    /** The policy semantics, spelled out: first rule whose conditions all hold, else the default. */
    private static SeccompAction firstMatch(SeccompPolicy p, String name, long[] args) {
        for (SyscallRule rule : p.rules()) {
            if (rule.syscall().equals(name) && rule.conditions().stream().allMatch(c -> c.test(args[c.index()]))) {
                return rule.action();
            }
        }
        return p.defaultAction();
    }

    private static int countLongJumps(BpfProgram program) {
        int count = 0;
        for (int i = 0; i < program.instructionCount(); i++) {
            if (program.code(i) == 0x05 && program.k(i) > 255) {
                count++;
            }
        }
        return count;
    }

    @Test
    void comparisonsSplitSixtyFourBitArgumentsIntoHalvesCorrectly() {
        long[] edges = {0, 1, 0xfffffffeL, 0xffffffffL, 0x100000000L, 0x100000001L, 0xfffffffffffffffeL, -1L,
                0x80000000L, 0x7fffffffffffffffL, Long.MIN_VALUE, 0x1234567890abcdefL};
        for (ArgCondition.Op op : ArgCondition.Op.values()) {
            for (ArgCondition.Width width : ArgCondition.Width.values()) {
                for (long value : edges) {
                    ArgCondition c = new ArgCondition(2, op, value, value & 0x00ff00ff00ff00ffL, width);
                    SeccompPolicy p = new SeccompPolicy(EPERM, Set.of(), List.of(new SyscallRule("read", List.of(c), SeccompAction.ALLOW)));
                    BpfProgram program = SeccompCompiler.compile(p, SyscallArch.X86_64, false).program();
                    for (long arg : edges) {
                        for (long probe : new long[] {arg, arg + 1, arg - 1}) {
                            SeccompAction expected = c.test(probe) ? SeccompAction.ALLOW : EPERM;
                            assertThat(BpfInterpreter.decide(program, SeccompData.of(X86_64, 0, 0, 0, probe)))
                                    .as("%s %s 0x%x on 0x%x", op, width, value, probe).isEqualTo(expected);
                        }
                    }
                }
            }
        }
    }

    @Test
    void largeProfilesStaySmallAndFast() {
        SyscallTable table = SyscallTable.of(SyscallArch.X86_64);
        List<SyscallRule> rules = new ArrayList<>();
        // Alternate actions so no two neighbouring numbers merge into one range: the worst case for the search.
        table.entries().forEach((name, nr) -> rules.add(SyscallRule.unconditional(name,
                nr % 2 == 0 ? SeccompAction.ALLOW : SeccompAction.errno(13))));
        assertThat(rules.size()).isGreaterThan(360);
        SeccompPolicy p = new SeccompPolicy(EPERM, EnumSet.of(SyscallArch.X86, SyscallArch.X32), rules);
        BpfProgram program = SeccompCompiler.compile(p, SyscallArch.X86_64, false).program();
        BpfVerifier.verify(program);
        assertThat(program.instructionCount()).isLessThan(4096);
        // A binary search costs about log2(ranges) steps, not a 360-step chain.
        int worst = 0;
        for (int nr = 0; nr < 460; nr++) {
            worst = Math.max(worst, BpfInterpreter.run(program, SeccompData.of(X86_64, nr)).steps());
        }
        assertThat(worst).isLessThan(30);

        BpfProgram defaultProgram = SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(),
                Capability.DOCKER_DEFAULT, SyscallArch.X86_64, new KernelVersion(6, 1, 0), false)
                .orElseThrow().program();
        int worstDefault = 0;
        for (int nr = 0; nr < 460; nr++) {
            worstDefault = Math.max(worstDefault, BpfInterpreter.run(defaultProgram, SeccompData.of(X86_64, nr)).steps());
        }
        assertThat(worstDefault).isLessThan(40);
    }

    @Test
    void profilesTooLargeForTheKernelAreRejectedClearly() {
        List<SyscallRule> rules = new ArrayList<>();
        // Distinct values per syscall, so no two syscalls share their compiled rule block.
        SyscallTable.of(SyscallArch.X86_64).entries().forEach((name, nr) -> {
            for (long v = 1; v <= 4; v++) {
                rules.add(new SyscallRule(name, List.of(ArgCondition.of(0, ArgCondition.Op.EQ, v << 33 | nr)), SeccompAction.ALLOW));
            }
        });
        SeccompPolicy huge = new SeccompPolicy(EPERM, Set.of(), rules);
        assertThatThrownBy(() -> SeccompCompiler.compile(huge, SyscallArch.X86_64, false))
                .isInstanceOf(SpecException.class).hasMessageContaining("4096");
    }

    @Test
    void onlyNativeArchitecturesCanBeTargets() {
        SeccompPolicy p = policy(Set.of());
        assertThatThrownBy(() -> SeccompCompiler.compile(p, SyscallArch.X86, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("X86_64, AARCH64");
    }

    @Test
    void nativeArchitectureComesFromOsArch() {
        assertThat(SyscallArch.fromOsArch("amd64")).isEqualTo(SyscallArch.X86_64);
        assertThat(SyscallArch.fromOsArch("aarch64")).isEqualTo(SyscallArch.AARCH64);
        assertThatThrownBy(() -> SyscallArch.fromOsArch("riscv64")).hasMessageContaining("riscv64");
    }

    @Test
    void bytesAreLittleEndianSockFilters() {
        SeccompPolicy p = policy(Set.of(), SyscallRule.unconditional("read", SeccompAction.ALLOW));
        BpfProgram program = SeccompCompiler.compile(p, SyscallArch.X86_64, false).program();
        byte[] bytes = program.bytes();
        // First instruction: BPF_LD|BPF_W|BPF_ABS (0x20) of seccomp_data.arch (offset 4).
        assertThat(new byte[] {bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]})
                .containsExactly(0x20, 0, 0, 0, 4, 0, 0, 0);
        // Second: JEQ AUDIT_ARCH_X86_64 (0xC000003E), k stored little-endian.
        assertThat(bytes[8]).isEqualTo((byte) 0x15);
        assertThat(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]}).containsExactly(0x3E, 0, 0, (byte) 0xC0);
        bytes[0] = 0;
        assertThat(program.bytes()[0]).as("bytes() hands out a copy").isEqualTo((byte) 0x20);
    }
}
