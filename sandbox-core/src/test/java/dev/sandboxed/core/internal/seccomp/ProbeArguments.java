package dev.sandboxed.core.internal.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Argument vectors worth trying for a syscall: every value a profile compares with, its
 * neighbours, mask bits, and the same with high bits set, combined across the arguments that
 * the profile looks at.
 */
final class ProbeArguments {
    private static final long HIGH = 1L << 32;

    private ProbeArguments() {
    }

    static List<long[]> forSyscall(JsonNode profile, String name, Set<Long> extraArg1) {
        Map<Integer, Set<Long>> candidates = new TreeMap<>();
        for (JsonNode entry : profile.get("syscalls")) {
            boolean named = false;
            for (JsonNode n : entry.path("names")) {
                named |= n.asText().equals(name);
            }
            if (!named) {
                continue;
            }
            for (JsonNode c : entry.path("args")) {
                Set<Long> values = candidates.computeIfAbsent(c.get("index").asInt(), i -> new LinkedHashSet<>());
                long v = c.get("value").bigIntegerValue().longValue();
                long v2 = c.hasNonNull("valueTwo") ? c.get("valueTwo").bigIntegerValue().longValue() : 0;
                addAround(values, v);
                addAround(values, v2);
                if (c.get("op").asText().equals("SCMP_CMP_MASKED_EQ")) {
                    for (int bit = 0; bit < 64; bit++) {
                        if ((v & (1L << bit)) != 0) {
                            values.add(v2 ^ (1L << bit));
                            values.add((v2 ^ (1L << bit)) | 0x11); // with SIGCHLD-like low bits outside the mask
                        }
                    }
                    values.add(v2 | ~v);
                }
            }
        }
        if (!extraArg1.isEmpty()) {
            Set<Long> values = candidates.computeIfAbsent(1, i -> new LinkedHashSet<>());
            extraArg1.forEach(v -> addAround(values, v));
        }
        List<long[]> probes = new ArrayList<>();
        probes.add(new long[6]);
        combine(new ArrayList<>(candidates.entrySet()), 0, new long[6], probes);
        return probes;
    }

    private static void addAround(Set<Long> values, long v) {
        for (long x : new long[] {v, v - 1, v + 1, 0, 0xffffffffL, -1L}) {
            values.add(x);
            values.add(x ^ HIGH);
            values.add(x | 0xffffffff00000000L);
        }
    }

    private static void combine(List<Map.Entry<Integer, Set<Long>>> slots, int i, long[] current, List<long[]> out) {
        if (i == slots.size()) {
            out.add(current.clone());
            return;
        }
        for (long v : slots.get(i).getValue()) {
            current[slots.get(i).getKey()] = v;
            combine(slots, i + 1, current, out);
        }
    }
}
