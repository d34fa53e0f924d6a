package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One cgroup mount from /proc/self/mountinfo (proc(5)): mount root, mount point, filesystem type and, for v1,
 * the controllers bound to that hierarchy (from the super options, e.g. {@code rw,cpu,cpuacct}).
 */
record MountInfo(String root, Path mountPoint, String fsType, Set<String> controllers) {

    /** v1 controller names (kernel/cgroup/cgroup-v1.c subsystems); anything else in super options is a flag. */
    static final Set<String> V1_CONTROLLERS = Set.of("cpuset", "cpu", "cpuacct", "io", "blkio", "memory", "devices",
            "freezer", "net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug");

    boolean isV2() {
        return fsType.equals("cgroup2");
    }

    /** Parses the cgroup and cgroup2 entries of a mountinfo file; other filesystems are skipped. */
    static List<MountInfo> parse(String mountinfo) {
        List<MountInfo> out = new ArrayList<>();
        for (String[][] sides : cgroupLines(mountinfo)) {
            String[] left = sides[0];
            String[] right = sides[1];
            String type = right[0];
            Set<String> controllers = new TreeSet<>();
            if (type.equals("cgroup") && right.length >= 3) {
                for (String opt : right[2].split(",")) {
                    if (opt.startsWith("name=")) {
                        controllers.add(opt); // named hierarchy without controllers, e.g. name=systemd
                    } else if (V1_CONTROLLERS.contains(opt)) {
                        controllers.add(opt);
                    }
                }
            }
            out.add(new MountInfo(unescape(left[3]), Path.of(unescape(left[4])), type, Set.copyOf(controllers)));
        }
        return out;
    }

    /**
     * The first cgroup mount whose super options have {@code favordynmods} (Linux 6.0+, v1 and v2): the kernel then
     * keeps its thread-group lock ready for writers, and a move into a cgroup no longer waits for an RCU grace
     * period after idle. The lock is one for the whole kernel, so one such mount is enough.
     */
    static Optional<Path> favoringDynamicMoves(String mountinfo) {
        for (String[][] sides : cgroupLines(mountinfo)) {
            if (sides[1].length >= 3 && Arrays.asList(sides[1][2].split(",")).contains("favordynmods")) {
                return Optional.of(Path.of(unescape(sides[0][4])));
            }
        }
        return Optional.empty();
    }

    /**
     * The cgroup and cgroup2 lines of a mountinfo file, each split at " - " into its fields before (id parent
     * major:minor root mountpoint options [optional fields...]) and after (fstype source superopts).
     */
    private static List<String[][]> cgroupLines(String mountinfo) {
        List<String[][]> out = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            int sep = line.indexOf(" - ");
            if (sep < 0) {
                continue;
            }
            String[] left = line.substring(0, sep).split(" ");
            String[] right = line.substring(sep + 3).split(" ");
            if (left.length >= 5 && (right[0].equals("cgroup") || right[0].equals("cgroup2"))) {
                out.add(new String[][] {left, right});
            }
        }
        return out;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()
                    && s.substring(i + 1, i + 4).chars().allMatch(ch -> ch >= '0' && ch <= '7')) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
