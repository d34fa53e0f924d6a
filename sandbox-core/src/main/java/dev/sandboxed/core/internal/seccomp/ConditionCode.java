package dev.sandboxed.core.internal.seccomp;

import dev.sandboxed.core.internal.seccomp.FilterNode.And;
import dev.sandboxed.core.internal.seccomp.FilterNode.Branch;
import dev.sandboxed.core.internal.seccomp.FilterNode.Load;

/**
 * Builds the BPF graph for one {@link ArgCondition}. seccomp_data holds 64-bit arguments but
 * classic BPF compares 32-bit words, so a 64-bit comparison looks at the high half first and only
 * consults the low half when the high halves are equal.
 */
final class ConditionCode {

    private ConditionCode() {
    }

    /** A node that goes to {@code ifTrue} when the condition holds, else to {@code ifFalse}. */
    static FilterNode test(ArgCondition c, FilterNode ifTrue, FilterNode ifFalse) {
        switch (c.op()) {
            case EQ: return equal(c, ifTrue, ifFalse);
            case NE: return equal(c, ifFalse, ifTrue);
            case GT: return greater(c, Bpf.JGT, ifTrue, ifFalse);
            case GE: return greater(c, Bpf.JGE, ifTrue, ifFalse);
            case LE: return greater(c, Bpf.JGT, ifFalse, ifTrue);
            case LT: return greater(c, Bpf.JGE, ifFalse, ifTrue);
            case MASKED_EQ: return maskedEqual(c, ifTrue, ifFalse);
            default: throw new AssertionError(c.op());
        }
    }

    private static boolean full(ArgCondition c) {
        return c.width() == ArgCondition.Width.BITS_64;
    }

    private static int high(long v) {
        return (int) (v >>> 32);
    }

    private static int low(long v) {
        return (int) v;
    }

    private static FilterNode equal(ArgCondition c, FilterNode ifTrue, FilterNode ifFalse) {
        FilterNode lowPart = new Load(Bpf.argLow(c.index()), new Branch(Bpf.JEQ, low(c.value()), ifTrue, ifFalse));
        if (!full(c)) {
            return lowPart;
        }
        return new Load(Bpf.argHigh(c.index()), new Branch(Bpf.JEQ, high(c.value()), lowPart, ifFalse));
    }

    /** arg > value (JGT) or arg >= value (JGE), unsigned. */
    private static FilterNode greater(ArgCondition c, int op, FilterNode ifTrue, FilterNode ifFalse) {
        FilterNode lowPart = new Load(Bpf.argLow(c.index()), new Branch(op, low(c.value()), ifTrue, ifFalse));
        if (!full(c)) {
            return lowPart;
        }
        int hi = high(c.value());
        // high > hi: decided; high == hi: the low halves decide; high < hi: false.
        FilterNode highEqual = new Branch(Bpf.JEQ, hi, lowPart, ifFalse);
        return new Load(Bpf.argHigh(c.index()), new Branch(Bpf.JGT, hi, ifTrue, highEqual));
    }

    private static FilterNode maskedEqual(ArgCondition c, FilterNode ifTrue, FilterNode ifFalse) {
        FilterNode lowPart = new Load(Bpf.argLow(c.index()),
                new And(low(c.value()), new Branch(Bpf.JEQ, low(c.valueTwo()), ifTrue, ifFalse)));
        if (!full(c)) {
            return lowPart;
        }
        return new Load(Bpf.argHigh(c.index()),
                new And(high(c.value()), new Branch(Bpf.JEQ, high(c.valueTwo()), lowPart, ifFalse)));
    }
}
