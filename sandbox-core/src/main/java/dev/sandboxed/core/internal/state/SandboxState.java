package dev.sandboxed.core.internal.state;

import java.util.List;

/**
 * What a sandbox's state file records: enough for a later JVM to remove everything if this one dies.
 *
 * @param id            the sandbox id (also its directory name)
 * @param ownerPid      the pid of the JVM that owns the sandbox
 * @param initPid       the host pid of the sandbox's init, or 0 before it exists
 * @param initStartTime the init's start time (field 22 of /proc/PID/stat) to tell it from a reused pid
 * @param cgroups       the sandbox's cgroup directories
 * @param createdAt     ISO-8601 creation time
 * @param spec          a readable summary of the spec
 */
public record SandboxState(String id, long ownerPid, long initPid, long initStartTime, List<String> cgroups,
        String createdAt, String spec) {
}
