package dev.sandboxed.core.internal.seccomp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import dev.sandboxed.core.spec.SpecException;

/**
 * Lays a {@link FilterNode} graph out as BPF instructions.
 *
 * <p>Instructions are emitted back to front, so every jump target already has a position when the
 * jump is written. Conditional jumps reach at most 255 instructions; farther targets go through an
 * unconditional JA trampoline placed right after the jump. Return instructions are duplicated
 * rather than shared when the shared copy is far away, which keeps most jumps short.
 */
final class BpfEmitter {
    /** How far a shared RET may be before a fresh copy is cheaper than a possible trampoline. */
    private static final int RETURN_REUSE_DISTANCE = 64;

    /** Instructions in reverse order: the last element is the first instruction. */
    private final List<long[]> reversed = new ArrayList<>();
    /** Node to label; a label is the instruction's distance from the end, counting itself. */
    private final Map<FilterNode, Integer> labels = new IdentityHashMap<>();
    private final Map<Integer, Integer> returnLabels = new HashMap<>();

    static BpfProgram layOut(FilterNode root) {
        BpfEmitter emitter = new BpfEmitter();
        emitter.emitFallthrough(root);
        return emitter.program();
    }

    private int front() {
        return reversed.size();
    }

    private int emit(FilterNode node) {
        if (node instanceof FilterNode.Return) {
            return emitReturn(((FilterNode.Return) node).value());
        }
        Integer known = labels.get(node);
        if (known != null) {
            return known;
        }
        int label;
        if (node instanceof FilterNode.Load) {
            FilterNode.Load load = (FilterNode.Load) node;
            emitFallthrough(load.next());
            label = prepend(Bpf.LD_W_ABS, 0, 0, load.offset());
        } else if (node instanceof FilterNode.And) {
            FilterNode.And and = (FilterNode.And) node;
            emitFallthrough(and.next());
            label = prepend(Bpf.ALU_AND_K, 0, 0, and.mask());
        } else {
            label = emitBranch((FilterNode.Branch) node);
        }
        labels.put(node, label);
        return label;
    }

    private int emitReturn(int value) {
        Integer known = returnLabels.get(value);
        if (known != null && front() - known <= RETURN_REUSE_DISTANCE) {
            return known;
        }
        int label = prepend(Bpf.RET_K, 0, 0, value);
        returnLabels.put(value, label);
        return label;
    }

    /** Emits {@code next} so that it is the instruction right after whatever is prepended next. */
    private void emitFallthrough(FilterNode next) {
        int label = emit(next);
        if (label != front()) {
            prepend(Bpf.JMP_JA, 0, 0, front() - label);
        }
    }

    private int emitBranch(FilterNode.Branch branch) {
        int falseLabel = emit(branch.ifFalse());
        int trueLabel = emit(branch.ifTrue());
        // Offsets count from the instruction after the jump, whose label is front().
        while (front() - trueLabel > Bpf.MAX_SHORT_JUMP || front() - falseLabel > Bpf.MAX_SHORT_JUMP) {
            if (front() - falseLabel > Bpf.MAX_SHORT_JUMP) {
                falseLabel = prepend(Bpf.JMP_JA, 0, 0, front() - falseLabel);
            } else {
                trueLabel = prepend(Bpf.JMP_JA, 0, 0, front() - trueLabel);
            }
        }
        return prepend(Bpf.JMP | branch.op() | Bpf.K, front() - trueLabel, front() - falseLabel, branch.k());
    }

    private int prepend(int code, int jt, int jf, int k) {
        reversed.add(new long[] {code, jt, jf, k & 0xffffffffL});
        return front();
    }

    private BpfProgram program() {
        if (reversed.size() > Bpf.MAX_INSTRUCTIONS) {
            throw new SpecException("seccomp", "the profile compiles to " + reversed.size()
                    + " BPF instructions; the kernel allows at most " + Bpf.MAX_INSTRUCTIONS
                    + " (use fewer argument conditions)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(reversed.size() * BpfProgram.INSTRUCTION_SIZE);
        for (int i = reversed.size() - 1; i >= 0; i--) {
            long[] insn = reversed.get(i);
            int code = (int) insn[0];
            long k = insn[3];
            out.write(code & 0xff);
            out.write((code >>> 8) & 0xff);
            out.write((int) insn[1]);
            out.write((int) insn[2]);
            for (int shift = 0; shift < 32; shift += 8) {
                out.write((int) (k >>> shift) & 0xff);
            }
        }
        return new BpfProgram(out.toByteArray());
    }
}
