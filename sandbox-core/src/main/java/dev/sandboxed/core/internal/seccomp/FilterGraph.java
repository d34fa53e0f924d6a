package dev.sandboxed.core.internal.seccomp;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sandboxed.core.internal.seccomp.FilterNode.Branch;
import dev.sandboxed.core.internal.seccomp.FilterNode.Load;

/**
 * Builds the whole filter as a {@link FilterNode} graph: check {@code seccomp_data.arch}, keep
 * x32 numbers away from x86_64 rules, then binary-search the syscall number per ABI.
 */
final class FilterGraph {
    private static final int SYSCALL_MINUS_ONE = -1;

    private final SeccompPolicy policy;
    private final SeccompAction defaultAction;
    private final SeccompAction newerAction;
    private final FilterNode badAbi = FilterNode.ret(SeccompAction.KILL_PROCESS);
    private final Map<SyscallDecision, FilterNode> decisionNodes = new HashMap<>();

    /**
     * @param defaultAction the policy's default, or USER_NOTIF in its place when denials are reported
     */
    FilterGraph(SeccompPolicy policy, SeccompAction defaultAction) {
        this.policy = policy;
        this.defaultAction = defaultAction;
        // A deny-by-default policy answers syscalls newer than our tables with ENOSYS so libc falls back.
        this.newerAction = policy.defaultAction().permits() ? defaultAction : SeccompAction.errno(SeccompAction.ENOSYS);
    }

    FilterNode build(SyscallArch nativeArch) {
        FilterNode dispatch = badAbi;
        // Checked in reverse so the native ABI is tested first.
        for (SyscallArch abi : List.of(SyscallArch.ARM, SyscallArch.X86)) {
            if (included(abi) && nativeArch.secondaryAbis().contains(abi)) {
                dispatch = new Branch(Bpf.JEQ, abi.auditArch(), new Load(Bpf.OFFSET_NR, search(abi)), dispatch);
            }
        }
        FilterNode nativeSyscalls = new Load(Bpf.OFFSET_NR, nativeArch == SyscallArch.X86_64
                ? separateX32(search(SyscallArch.X86_64)) : search(nativeArch));
        dispatch = new Branch(Bpf.JEQ, nativeArch.auditArch(), nativeSyscalls, dispatch);
        return new Load(Bpf.OFFSET_ARCH, dispatch);
    }

    private boolean included(SyscallArch abi) {
        return policy.abis().contains(abi) && !SyscallTable.of(abi).isEmpty();
    }

    /**
     * Under AUDIT_ARCH_X86_64, numbers with bit 30 set are x32 calls: they must never match an
     * x86_64 rule. -1 is the "no syscall" number tracers use; it falls through to the x86_64
     * search, which answers it like any number newer than the table.
     */
    private FilterNode separateX32(FilterNode x86_64) {
        FilterNode x32 = included(SyscallArch.X32) ? search(SyscallArch.X32) : badAbi;
        return new Branch(Bpf.JGE, SyscallArch.X32_SYSCALL_BIT,
                new Branch(Bpf.JEQ, SYSCALL_MINUS_ONE, x86_64, x32), x86_64);
    }

    /** Binary search over the ABI's ranges; the accumulator holds the syscall number. */
    private FilterNode search(SyscallArch abi) {
        List<SyscallRanges.Range> ranges = SyscallRanges.build(SyscallTable.of(abi), policy.rules(), defaultAction, newerAction);
        return search(ranges, 0, ranges.size());
    }

    private FilterNode search(List<SyscallRanges.Range> ranges, int from, int to) {
        if (to - from == 1) {
            return decisionNode(ranges.get(from).decision());
        }
        int middle = (from + to) >>> 1;
        return new Branch(Bpf.JGE, (int) ranges.get(middle).first(),
                search(ranges, middle, to), search(ranges, from, middle));
    }

    private FilterNode decisionNode(SyscallDecision decision) {
        return decisionNodes.computeIfAbsent(decision, d -> {
            FilterNode node = FilterNode.ret(d.fallback());
            List<SyscallDecision.Guarded> guarded = d.guarded();
            for (int i = guarded.size() - 1; i >= 0; i--) {
                node = allOf(guarded.get(i).conditions(), FilterNode.ret(guarded.get(i).action()), node);
            }
            return node;
        });
    }

    private static FilterNode allOf(List<ArgCondition> conditions, FilterNode ifAll, FilterNode otherwise) {
        FilterNode node = ifAll;
        for (int i = conditions.size() - 1; i >= 0; i--) {
            node = ConditionCode.test(conditions.get(i), node, otherwise);
        }
        return node;
    }
}
