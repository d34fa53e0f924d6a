package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;

/**
 * A new v1 cpuset cgroup starts with empty cpuset.cpus/mems (unless cgroup.clone_children is 1) and cannot hold
 * tasks until both are set, so copy them from the parent.
 */
final class CpusetInit {
    private CpusetInit() {
    }

    static void inheritFromParent(CgroupFiles files, Path dir) {
        for (String name : new String[] {"cpuset.cpus", "cpuset.mems"}) {
            Path file = dir.resolve(name);
            String current = files.read(file, "read " + name).strip();
            if (current.isEmpty()) {
                String parentValue = files.read(dir.getParent().resolve(name), "read parent " + name).strip();
                files.write(file, parentValue, "copy parent " + name);
            }
        }
    }
}
