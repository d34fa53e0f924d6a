package dev.sandboxed.core.internal.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An immutable classic-BPF program: the bytes of a {@code struct sock_filter[]} in little-endian
 * layout (u16 code, u8 jt, u8 jf, u32 k; 8 bytes per instruction), ready for
 * {@code prctl(PR_SET_SECCOMP)} / {@code seccomp(SECCOMP_SET_MODE_FILTER)}.
 */
public final class BpfProgram {
    /** Size of one {@code struct sock_filter}. */
    public static final int INSTRUCTION_SIZE = 8;

    private final byte[] bytes;

    BpfProgram(byte[] bytes) {
        if (bytes.length % INSTRUCTION_SIZE != 0) {
            throw new IllegalArgumentException("not a whole number of instructions: " + bytes.length + " bytes");
        }
        this.bytes = bytes.clone();
    }

    /** A copy of the program bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public int instructionCount() {
        return bytes.length / INSTRUCTION_SIZE;
    }

    public int code(int i) {
        return buffer().getShort(i * INSTRUCTION_SIZE) & 0xffff;
    }

    public int jt(int i) {
        return bytes[i * INSTRUCTION_SIZE + 2] & 0xff;
    }

    public int jf(int i) {
        return bytes[i * INSTRUCTION_SIZE + 3] & 0xff;
    }

    public int k(int i) {
        return buffer().getInt(i * INSTRUCTION_SIZE + 4);
    }

    private ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpfProgram && Arrays.equals(bytes, ((BpfProgram) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "BpfProgram[" + instructionCount() + " instructions]";
    }
}
