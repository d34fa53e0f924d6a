package dev.sandboxed.core.internal.seccomp;

/** struct seccomp_data as the kernel hands it to a filter (little-endian). */
record SeccompData(int nr, int arch, long instructionPointer, long[] args) {

    static SeccompData of(int arch, long nr, long... args) {
        long[] all = new long[6];
        System.arraycopy(args, 0, all, 0, args.length);
        return new SeccompData((int) nr, arch, 0x7f00_1234_5678L, all);
    }

    /** The 32-bit word at a byte offset, as BPF_LD|BPF_W|BPF_ABS reads it. */
    int word(int offset) {
        if (offset == 0) {
            return nr;
        }
        if (offset == 4) {
            return arch;
        }
        if (offset == 8 || offset == 12) {
            return (int) (offset == 8 ? instructionPointer : instructionPointer >>> 32);
        }
        int index = (offset - 16) / 8;
        long arg = args[index];
        return (offset - 16) % 8 == 0 ? (int) arg : (int) (arg >>> 32);
    }
}
