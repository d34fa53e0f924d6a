package dev.sandboxed.core.internal.seccomp;

/**
 * What the kernel's verifier checks (seccomp_check_filter / bpf_check_classic), so a program it accepts would load.
 */
final class BpfVerifier {
    private BpfVerifier() {
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
                BpfInterpreter.checkLoad(k, pc);
            } else if (code != 0x54 && code != 0x06) {
                throw new AssertionError("unexpected instruction 0x" + Integer.toHexString(code) + " at " + pc);
            }
        }
        if (program.code(n - 1) != 0x06) {
            throw new AssertionError("the last instruction must return");
        }
    }
}
