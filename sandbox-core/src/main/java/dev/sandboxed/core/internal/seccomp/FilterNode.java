package dev.sandboxed.core.internal.seccomp;


/**
 * The filter as a graph before it is laid out as instructions. Subgraphs may be shared; the
 * {@link BpfEmitter} emits each shared node once.
 */
sealed interface FilterNode {

    /** Return a seccomp action. */
    record Return(int value) implements FilterNode {
    }

    /** Load a 32-bit word of seccomp_data into the accumulator, then continue. */
    record Load(int offset, FilterNode next) implements FilterNode {
    }

    /** Accumulator &= mask, then continue. */
    record And(int mask, FilterNode next) implements FilterNode {
    }

    /** Compare the accumulator with {@code k} (JEQ, JGT, JGE or JSET) and branch. */
    record Branch(int op, int k, FilterNode ifTrue, FilterNode ifFalse) implements FilterNode {
    }

    static FilterNode ret(SeccompAction action) {
        return new Return(action.returnValue());
    }
}
