package dev.sandboxed.core.internal.seccomp;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * Turns an {@link OciProfile} into the {@link SeccompPolicy} that runc + libseccomp would load
 * for a container with the given capabilities on the given architecture:
 * <ul>
 * <li>includes/excludes as moby evaluates them: every included capability must be held, any held
 *     excluded capability drops the entry; {@code arches} are GOARCH names of the native
 *     architecture; {@code minKernel} compares with the running kernel;</li>
 * <li>entries whose action equals the default action are skipped (runc does, libseccomp would
 *     refuse them);</li>
 * <li>args of one entry are ANDed, except that runc splits an entry comparing the same argument
 *     twice into one rule per comparison (ORed);</li>
 * <li>per syscall, libseccomp lets an unconditional rule win over all others: the first one added
 *     stays, later rules are dropped, and it replaces conditional rules added before it.
 *     Conditional rules keep file order.</li>
 * </ul>
 */
final class OciProfileResolver {

    private OciProfileResolver() {
    }

    static SeccompPolicy resolve(OciProfile profile, Set<Capability> caps, SyscallArch nativeArch, KernelVersion kernel) {
        Set<String> held = new HashSet<>();
        caps.forEach(c -> held.add(c.capName()));
        Map<String, List<SyscallRule>> rulesBySyscall = new LinkedHashMap<>();
        for (OciProfile.Entry entry : profile.syscalls()) {
            if (!applies(entry, held, nativeArch, kernel) || entry.action().equals(profile.defaultAction())) {
                continue;
            }
            for (String name : entry.names()) {
                for (List<ArgCondition> conditions : conditionSets(entry.args())) {
                    add(rulesBySyscall.computeIfAbsent(name, n -> new ArrayList<>()),
                            new SyscallRule(name, conditions, entry.action()));
                }
            }
        }
        List<SyscallRule> rules = new ArrayList<>();
        rulesBySyscall.values().forEach(rules::addAll);
        return new SeccompPolicy(profile.defaultAction(), abis(profile, nativeArch), rules);
    }

    /** Adds a rule the way libseccomp merges rules for one syscall. */
    private static void add(List<SyscallRule> existing, SyscallRule rule) {
        if (!existing.isEmpty() && existing.get(0).isUnconditional()) {
            return;
        }
        if (rule.isUnconditional()) {
            existing.clear();
        }
        existing.add(rule);
    }

    private static boolean applies(OciProfile.Entry entry, Set<String> held, SyscallArch nativeArch, KernelVersion kernel) {
        OciProfile.Filter ex = entry.excludes();
        if (ex.arches().contains(nativeArch.goArch())
                || ex.caps().stream().anyMatch(held::contains)
                || ex.minKernel().map(min -> kernel.compareTo(min) >= 0).orElse(false)) {
            return false;
        }
        OciProfile.Filter in = entry.includes();
        return (in.arches().isEmpty() || in.arches().contains(nativeArch.goArch()))
                && held.containsAll(in.caps())
                && in.minKernel().map(min -> kernel.compareTo(min) >= 0).orElse(true);
    }

    /** runc: comparing one argument twice in an entry turns each comparison into its own rule. */
    private static List<List<ArgCondition>> conditionSets(List<ArgCondition> args) {
        Set<Integer> indexes = new HashSet<>();
        boolean repeated = false;
        for (ArgCondition arg : args) {
            repeated |= !indexes.add(arg.index());
        }
        if (!repeated) {
            return List.of(args);
        }
        List<List<ArgCondition>> sets = new ArrayList<>();
        args.forEach(arg -> sets.add(List.of(arg)));
        return sets;
    }

    /** The ABIs the filter judges: the native one plus those the profile lists for it. */
    private static Set<SyscallArch> abis(OciProfile profile, SyscallArch nativeArch) {
        Set<SyscallArch> abis = EnumSet.of(nativeArch);
        List<String> listed = new ArrayList<>(profile.architectures());
        List<String> mapped = profile.archMap().get(nativeArch.scmpName());
        if (mapped != null) {
            listed.addAll(mapped);
        }
        for (String name : listed) {
            SyscallArch.fromScmpName(name)
                    .filter(abi -> nativeArch.secondaryAbis().contains(abi))
                    .ifPresent(abis::add);
        }
        return abis;
    }
}
