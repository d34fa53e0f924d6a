package dev.sandboxed.core.internal.state;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a sandbox's state file records: enough for a later JVM to remove everything if this one dies.
 *
 * @param id              the sandbox id (also its directory name)
 * @param ownerPid        the pid of the JVM that owns the sandbox, or of its keeper once kept after that JVM
 * @param initPid         the host pid of the sandbox's init, or 0 before it exists
 * @param initStartTime   the init's start time (field 22 of /proc/PID/stat) to tell it from a reused pid
 * @param cgroups         the sandbox's cgroup directories
 * @param createdAt       ISO-8601 creation time
 * @param spec            a readable summary of the spec
 * @param keeperStartTime the keeper's start time when kept after its JVM ({@code ownerPid} is the keeper), else 0
 * @param keptUntil       when kept after its JVM: ISO-8601 time from which the stale clean-up removes it, else null
 * @param command         when kept after its JVM: its main process's command, if it has one (else null); what
 *                        {@code sandboxed ps} shows, as the JVM would
 * @param limits          when kept after its JVM: its limits as {@code sandboxed ps} shows them, else null
 * @param poststop        when kept after its JVM with poststop hooks: those and their state JSON, else null
 */
public record SandboxState(String id, long ownerPid, long initPid, long initStartTime, List<String> cgroups,
        String createdAt, String spec, long keeperStartTime, String keptUntil, List<String> command,
        Map<String, Object> limits, Poststop poststop) {

    public SandboxState(String id, long ownerPid, long initPid, long initStartTime, List<String> cgroups,
            String createdAt, String spec) {
        this(id, ownerPid, initPid, initStartTime, cgroups, createdAt, spec, 0, null, null, null, null);
    }

    /** Whether a keeper holds it after its JVM ({@code sandboxed.keep.afterJvm}). */
    public boolean keptAfterJvm() {
        return keeperStartTime != 0;
    }

    /**
     * The same state, kept after its JVM by keeper {@code pid} until {@code until}, recording what its JVM showed of it
     * ({@code command} may be null: no main process) and what its removal runs ({@code poststop} null: nothing).
     */
    public SandboxState keptBy(long pid, long startTime, Instant until, List<String> command, Map<String, Object> limits,
            Poststop poststop) {
        return new SandboxState(id, pid, initPid, initStartTime, cgroups, createdAt, spec, startTime, until.toString(),
                command, limits, poststop);
    }

    /**
     * The poststop hooks of a sandbox kept after its JVM, which whoever removes it runs once its init is gone, as the JVM
     * would have: each gets {@code stateJson} (the OCI state, status stopped) on stdin.
     */
    public record Poststop(String stateJson, List<RecordedHook> hooks) {
    }

    /** A hook as the spec gave it (its stage is poststop). */
    public record RecordedHook(String path, List<String> args, List<String> env, long timeoutMillis) {
    }

    /** Whether it is kept after its JVM and its time ran out at {@code now}. */
    public boolean keepExpired(Instant now) {
        return keptAfterJvm() && keptUntil != null && !now.isBefore(Instant.parse(keptUntil));
    }
}
