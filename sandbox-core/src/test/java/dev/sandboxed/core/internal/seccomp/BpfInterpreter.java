package dev.sandboxed.core.internal.seccomp;


/**
 * A classic-BPF interpreter for the instructions seccomp filters use, written independently of
 * the compiler to run its programs in tests. It also checks what the kernel's verifier checks
 * (seccomp_check_filter / bpf_check_classic) so a program it accepts would load.
 */
final class BpfInterpreter {
    /** The result of one run. */
    record Result(int returnValue, int steps) {
        SeccompAction action() {
            return SeccompAction.fromReturnValue(returnValue);
        }
    }

    private BpfInterpreter() {
    }

    static SeccompAction decide(BpfProgram program, SeccompData data) {
        return run(program, data).action();
    }

    static Result run(BpfProgram program, SeccompData data) {
        int a = 0;
        int x = 0;
        int pc = 0;
        int steps = 0;
        int n = program.instructionCount();
        while (true) {
            if (pc < 0 || pc >= n) {
                throw new AssertionError("fell off the program at " + pc);
            }
            int code = program.code(pc);
            int k = program.k(pc);
            steps++;
            switch (code) {
                case 0x20: // BPF_LD | BPF_W | BPF_ABS
                    checkLoad(k, pc);
                    a = data.word(k);
                    pc++;
                    break;
                case 0x54: // BPF_ALU | BPF_AND | BPF_K
                    a &= k;
                    pc++;
                    break;
                case 0x05: // BPF_JMP | BPF_JA
                    pc += 1 + k;
                    break;
                case 0x15: // JEQ K
                    pc += 1 + (a == k ? program.jt(pc) : program.jf(pc));
                    break;
                case 0x25: // JGT K, unsigned
                    pc += 1 + (Integer.compareUnsigned(a, k) > 0 ? program.jt(pc) : program.jf(pc));
                    break;
                case 0x35: // JGE K, unsigned
                    pc += 1 + (Integer.compareUnsigned(a, k) >= 0 ? program.jt(pc) : program.jf(pc));
                    break;
                case 0x45: // JSET K
                    pc += 1 + ((a & k) != 0 ? program.jt(pc) : program.jf(pc));
                    break;
                case 0x06: // BPF_RET | BPF_K
                    return new Result(k, steps);
                default:
                    throw new AssertionError("instruction the interpreter does not know: code 0x"
                            + Integer.toHexString(code) + " at " + pc);
            }
        }
    }

    private static void checkLoad(int offset, int pc) {
        if (offset < 0 || offset > 60 || offset % 4 != 0) {
            throw new AssertionError("load outside seccomp_data at " + pc + ": offset " + offset);
        }
    }

    /** The structural checks the kernel makes before it accepts a filter. */
    static void verify(BpfProgram program) {
        int n = program.instructionCount();
        if (n == 0 || n > 4096) {
            throw new AssertionError("program length " + n + " is outside 1..4096");
        }
        for (int pc = 0; pc < n; pc++) {
            int code = program.code(pc);
            int k = program.k(pc);
            if (code == 0x05) {
                if (Integer.toUnsignedLong(k) >= n - pc - 1L) {
                    throw new AssertionError("JA at " + pc + " jumps outside the program");
                }
            } else if ((code & 0x07) == 0x05) {
                if (pc + 1 + program.jt(pc) >= n || pc + 1 + program.jf(pc) >= n) {
                    throw new AssertionError("conditional jump at " + pc + " leaves the program");
                }
            } else if (code == 0x20) {
                checkLoad(k, pc);
            } else if (code != 0x54 && code != 0x06) {
                throw new AssertionError("unexpected instruction 0x" + Integer.toHexString(code) + " at " + pc);
            }
        }
        if (program.code(n - 1) != 0x06) {
            throw new AssertionError("the last instruction must return");
        }
    }
}
