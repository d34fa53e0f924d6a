package dev.sandboxed.core.internal.seccomp;


/** Classic BPF opcodes (linux/bpf_common.h) and the seccomp_data layout (linux/seccomp.h). */
final class Bpf {
    static final int LD = 0x00;
    static final int ALU = 0x04;
    static final int JMP = 0x05;
    static final int RET = 0x06;

    static final int W = 0x00;
    static final int ABS = 0x20;
    static final int K = 0x00;

    static final int AND = 0x50;

    static final int JA = 0x00;
    static final int JEQ = 0x10;
    static final int JGT = 0x20;
    static final int JGE = 0x30;

    static final int LD_W_ABS = LD | W | ABS;
    static final int ALU_AND_K = ALU | AND | K;
    static final int JMP_JA = JMP | JA;
    static final int RET_K = RET | K;

    /** Offsets in struct seccomp_data (little-endian: the low half of an argument comes first). */
    static final int OFFSET_NR = 0;
    static final int OFFSET_ARCH = 4;
    static final int OFFSET_ARGS = 16;

    /** BPF_MAXINSNS: the kernel refuses longer filters. */
    static final int MAX_INSTRUCTIONS = 4096;
    /** jt and jf are u8. */
    static final int MAX_SHORT_JUMP = 255;

    static int argLow(int index) {
        return OFFSET_ARGS + 8 * index;
    }

    static int argHigh(int index) {
        return OFFSET_ARGS + 8 * index + 4;
    }

    private Bpf() {
    }
}
