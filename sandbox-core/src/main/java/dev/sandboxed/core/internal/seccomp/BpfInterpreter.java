package dev.sandboxed.core.internal.seccomp;

/**
 * A classic-BPF interpreter for the instructions seccomp filters use, written independently of the compiler: it runs
 * a compiled program on concrete calls, as the kernel would, to find whether the sandbox's init may hold the filter
 * ({@link InitCalls}), and runs programs in tests.
 */
final class BpfInterpreter {
    /**
     * The result of one run.
     *
     * @param argumentsRead bit i set when the program read a word of argument i
     */
    record Result(int returnValue, int steps, int argumentsRead) {
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
        int pc = 0;
        int steps = 0;
        int argumentsRead = 0;
        int n = program.instructionCount();
        while (true) {
            if (pc < 0 || pc >= n) {
                throw new IllegalStateException("fell off the program at " + pc);
            }
            int code = program.code(pc);
            int k = program.k(pc);
            steps++;
            switch (code) {
                case 0x20: // BPF_LD | BPF_W | BPF_ABS
                    checkLoad(k, pc);
                    a = data.word(k);
                    if (k >= 16) {
                        argumentsRead |= 1 << ((k - 16) / 8);
                    }
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
                    return new Result(k, steps, argumentsRead);
                default:
                    throw new IllegalStateException("instruction the interpreter does not know: code 0x"
                            + Integer.toHexString(code) + " at " + pc);
            }
        }
    }

    /** A load must read a whole word of seccomp_data, as the kernel's verifier demands. */
    static void checkLoad(int offset, int pc) {
        if (offset < 0 || offset > 60 || offset % 4 != 0) {
            throw new IllegalStateException("load outside seccomp_data at " + pc + ": offset " + offset);
        }
    }
}
