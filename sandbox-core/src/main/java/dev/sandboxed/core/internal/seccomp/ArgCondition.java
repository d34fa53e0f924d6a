package dev.sandboxed.core.internal.seccomp;


/**
 * A comparison of one syscall argument with a constant, unsigned as in libseccomp.
 * For {@link Op#MASKED_EQ} the test is {@code (arg & value) == valueTwo}.
 *
 * @param index     argument number, 0..5
 * @param op        the comparison
 * @param value     the datum (the mask for MASKED_EQ)
 * @param valueTwo  the expected masked value for MASKED_EQ; ignored otherwise
 * @param width     whether the high 32 bits take part
 */
public record ArgCondition(int index, Op op, long value, long valueTwo, Width width) {

    /** Comparison operators, as libseccomp's SCMP_CMP_*. */
    public enum Op { EQ, NE, LT, LE, GT, GE, MASKED_EQ }

    /** How much of the 64-bit argument is compared. */
    public enum Width {
        /** Both halves: the kernel uses the full 64-bit value. */
        BITS_64,
        /**
         * Only the low half, for arguments the kernel truncates to int (ioctl requests, socket
         * families): a caller must not dodge a rule by setting high bits (CVE-2019-10063).
         */
        LOW_32
    }

    public ArgCondition {
        if (index < 0 || index > 5) {
            throw new IllegalArgumentException("argument index must be 0..5, got " + index);
        }
        if (op == null || width == null) {
            throw new NullPointerException("op and width are required");
        }
    }

    public static ArgCondition of(int index, Op op, long value) {
        return new ArgCondition(index, op, value, 0, Width.BITS_64);
    }

    public static ArgCondition masked(int index, long mask, long expected) {
        return new ArgCondition(index, Op.MASKED_EQ, mask, expected, Width.BITS_64);
    }

    /** The same comparison on the low 32 bits only. */
    public ArgCondition low32() {
        return new ArgCondition(index, op, value, valueTwo, Width.LOW_32);
    }

    /** Evaluates the condition on an argument, as the compiled filter does. */
    public boolean test(long arg) {
        long a = arg;
        long v = value;
        long v2 = valueTwo;
        if (width == Width.LOW_32) {
            a &= 0xffffffffL;
            v &= 0xffffffffL;
            v2 &= 0xffffffffL;
        }
        switch (op) {
            case EQ: return a == v;
            case NE: return a != v;
            case LT: return Long.compareUnsigned(a, v) < 0;
            case LE: return Long.compareUnsigned(a, v) <= 0;
            case GT: return Long.compareUnsigned(a, v) > 0;
            case GE: return Long.compareUnsigned(a, v) >= 0;
            case MASKED_EQ: return (a & v) == v2;
            default: throw new AssertionError(op);
        }
    }
}
