package dev.sandboxed.core.internal.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * The decision for every syscall number of one ABI, as sorted ranges covering 0..2^32-1, so the
 * filter can binary-search them.
 */
final class SyscallRanges {

    /** Numbers {@code first..last} (unsigned) share one decision. */
    record Range(long first, long last, SyscallDecision decision) {
    }

    private SyscallRanges() {
    }

    /**
     * @param defaultAction what unlisted syscalls get (already replaced by USER_NOTIF when denials are reported)
     * @param newerAction   what numbers newer than the table get
     */
    static List<Range> build(SyscallTable table, List<SyscallRule> rules, SeccompAction defaultAction,
                             SeccompAction newerAction) {
        Map<Long, SyscallDecision> byNumber = decisionsByNumber(table, rules, defaultAction);
        List<Range> ranges = new ArrayList<>();
        long start = 0;
        SyscallDecision current = decisionFor(0, table, byNumber, defaultAction, newerAction);
        // Decisions only change at listed numbers, right after them, and where "newer" starts.
        for (long boundary : boundaries(table)) {
            SyscallDecision next = decisionFor(boundary, table, byNumber, defaultAction, newerAction);
            if (!next.equals(current)) {
                ranges.add(new Range(start, boundary - 1, current));
                start = boundary;
                current = next;
            }
        }
        ranges.add(new Range(start, 0xffffffffL, current));
        return ranges;
    }

    private static Map<Long, SyscallDecision> decisionsByNumber(SyscallTable table, List<SyscallRule> rules,
                                                               SeccompAction defaultAction) {
        Map<Long, List<SyscallDecision.Guarded>> guardedByNumber = new LinkedHashMap<>();
        Map<Long, SeccompAction> unconditional = new LinkedHashMap<>();
        for (SyscallRule rule : rules) {
            OptionalInt nr = table.numberOf(rule.syscall());
            if (nr.isEmpty()) {
                continue; // not on this ABI
            }
            long number = Integer.toUnsignedLong(nr.getAsInt());
            if (unconditional.containsKey(number)) {
                continue; // an earlier rule matches every call already
            }
            if (rule.isUnconditional()) {
                unconditional.put(number, rule.action());
            } else {
                guardedByNumber.computeIfAbsent(number, n -> new ArrayList<>())
                        .add(new SyscallDecision.Guarded(forAbi(rule.conditions(), table.arch()), rule.action()));
            }
        }
        Map<Long, SyscallDecision> decisions = new LinkedHashMap<>();
        guardedByNumber.forEach((number, guarded) -> decisions.put(number,
                new SyscallDecision(guarded, unconditional.getOrDefault(number, defaultAction))));
        unconditional.forEach((number, action) -> decisions.putIfAbsent(number, SyscallDecision.always(action)));
        return decisions;
    }

    /** 32-bit ABIs have 32-bit registers: like libseccomp, compare only the low halves there. */
    private static List<ArgCondition> forAbi(List<ArgCondition> conditions, SyscallArch arch) {
        if (!arch.args32Bit()) {
            return conditions;
        }
        List<ArgCondition> low = new ArrayList<>();
        for (ArgCondition c : conditions) {
            low.add(c.low32());
        }
        return low;
    }

    private static SyscallDecision decisionFor(long number, SyscallTable table, Map<Long, SyscallDecision> byNumber,
                                               SeccompAction defaultAction, SeccompAction newerAction) {
        SyscallDecision listed = byNumber.get(number);
        if (listed != null) {
            return listed;
        }
        return SyscallDecision.always(table.isNewerThanTable(number) ? newerAction : defaultAction);
    }

    private static long[] boundaries(SyscallTable table) {
        TreeSet<Long> points = new TreeSet<>();
        for (int nr : table.entries().values()) {
            long n = Integer.toUnsignedLong(nr);
            points.add(n);
            if (n < 0xffffffffL) {
                points.add(n + 1);
            }
        }
        points.remove(0L);
        return points.stream().mapToLong(Long::longValue).toArray();
    }
}
