package dev.sandboxed.core.internal.cgroup;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

import dev.sandboxed.core.spec.ResourceLimits;

/** Which controllers a set of limits needs. */
final class Controllers {
    private Controllers() {
    }

    /** v2 controllers that must be enabled for {@code l} to be enforced. */
    static Set<String> requiredV2(ResourceLimits l) {
        Set<String> s = new LinkedHashSet<>();
        if (l.memoryMax().isPresent() || l.memoryHigh().isPresent() || l.memorySwapMax().isPresent()) {
            s.add("memory");
        }
        if (l.cpus().isPresent() || l.cpuWeight().isPresent()) {
            s.add("cpu");
        }
        if (l.cpusetCpus() != null || l.cpusetMems() != null) {
            s.add("cpuset");
        }
        if (l.pidsMax().isPresent()) {
            s.add("pids");
        }
        if (l.ioWeight().isPresent() || !l.ioMax().isEmpty()) {
            s.add("io");
        }
        return s;
    }

    /** v1 controllers for {@code l}: as v2, with io mapped to blkio. */
    static Set<String> requiredV1(ResourceLimits l) {
        Set<String> s = new LinkedHashSet<>();
        for (String c : requiredV2(l)) {
            s.add(c.equals("io") ? "blkio" : c);
        }
        return s;
    }

    /** A space-separated controller list (cgroup.controllers, cgroup.subtree_control). */
    static Set<String> parseList(String content) {
        Set<String> s = new TreeSet<>(Arrays.asList(content.strip().split("\\s+")));
        s.remove("");
        return s;
    }
}
