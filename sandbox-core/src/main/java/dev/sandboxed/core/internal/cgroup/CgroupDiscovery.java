package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Builds a {@link CgroupLayout} from mountinfo and /proc/self/cgroup. */
public final class CgroupDiscovery {

    private CgroupDiscovery() {
    }

    public static CgroupLayout discover(CgroupConfig config) {
        String mountinfo;
        String procCgroup;
        try {
            mountinfo = Files.readString(config.mountinfoFile());
        } catch (IOException e) {
            throw CgroupException.of("read mountinfo", config.mountinfoFile(), e);
        }
        try {
            procCgroup = Files.readString(config.procCgroupFile());
        } catch (IOException e) {
            throw CgroupException.of("read cgroup membership", config.procCgroupFile(), e);
        }
        return discover(mountinfo, procCgroup);
    }

    /**
     * The cgroup mount with {@code favordynmods}, if any (see {@link MountInfo#favoringDynamicMoves}); empty also when
     * mountinfo cannot be read.
     */
    public static Optional<Path> favoringDynamicMoves(CgroupConfig config) {
        try {
            return MountInfo.favoringDynamicMoves(Files.readString(config.mountinfoFile()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static CgroupLayout discover(String mountinfo, String procCgroup) {
        Map<String, String> ownPaths = parseProcCgroup(procCgroup);
        List<MountInfo> mounts = MountInfo.parse(mountinfo);

        Optional<CgroupLayout.Hierarchy> unified = Optional.empty();
        Map<String, CgroupLayout.Hierarchy> v1 = new HashMap<>();
        boolean v1Controllers = false;
        for (MountInfo m : mounts) {
            if (m.isV2()) {
                if (unified.isEmpty()) { // first mount wins; later ones are bind mounts of the same tree
                    unified = Optional.of(new CgroupLayout.Hierarchy(m.mountPoint(), Set.of(),
                            ownDir(m, ownPaths.get(""))));
                }
                continue;
            }
            if (m.controllers().isEmpty()) {
                continue;
            }
            CgroupLayout.Hierarchy h = new CgroupLayout.Hierarchy(m.mountPoint(), m.controllers(),
                    ownDir(m, ownPathFor(ownPaths, m)));
            for (String c : m.controllers()) {
                v1.putIfAbsent(c, h);
                if (!c.startsWith("name=")) {
                    v1Controllers = true;
                }
            }
        }
        CgroupLayout.Mode mode;
        if (v1Controllers) {
            mode = unified.isPresent() ? CgroupLayout.Mode.HYBRID : CgroupLayout.Mode.V1;
        } else {
            mode = unified.isPresent() ? CgroupLayout.Mode.V2 : CgroupLayout.Mode.NONE;
        }
        return new CgroupLayout(mode, unified, v1);
    }

    /**
     * Maps each controller-list entry of /proc/self/cgroup to the cgroup path: {@code "" -> /x} for the v2 line
     * {@code 0::/x}, and every single controller for a v1 line such as {@code 2:cpu,cpuacct:/y}.
     */
    static Map<String, String> parseProcCgroup(String content) {
        Map<String, String> out = new HashMap<>();
        for (String line : content.split("\n")) {
            String[] f = line.strip().split(":", 3);
            if (f.length != 3) {
                continue;
            }
            String path = f[2];
            if (f[1].isEmpty()) {
                out.put("", path);
            } else {
                out.put(f[1], path);
                for (String c : f[1].split(",")) {
                    out.put(c, path);
                }
            }
        }
        return out;
    }

    private static String ownPathFor(Map<String, String> ownPaths, MountInfo m) {
        for (String c : m.controllers()) {
            String p = ownPaths.get(c);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    /** The directory of {@code cgroupPath} under this mount, or empty when the mount does not show it. */
    static Optional<Path> ownDir(MountInfo m, String cgroupPath) {
        if (cgroupPath == null || !cgroupPath.startsWith("/") || cgroupPath.contains("/..")
                || cgroupPath.endsWith(" (deleted)")) {
            return Optional.empty();
        }
        String root = m.root();
        String rel;
        if (root.equals("/")) {
            rel = cgroupPath.substring(1);
        } else if (cgroupPath.equals(root)) {
            rel = "";
        } else if (cgroupPath.startsWith(root + "/")) {
            rel = cgroupPath.substring(root.length() + 1);
        } else {
            return Optional.empty();
        }
        return Optional.of(rel.isEmpty() ? m.mountPoint() : m.mountPoint().resolve(rel));
    }
}
