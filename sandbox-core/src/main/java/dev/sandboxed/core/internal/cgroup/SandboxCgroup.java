package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.result.ResourceUsage;

/**
 * The cgroup(s) of one sandbox. The runtime passes {@link #procsFiles()} to sandbox-init, which writes the init
 * pid into each before the workload starts; everything forked afterwards stays inside.
 *
 * <p>A sandbox without cgroups (no limits asked, nothing writable on this host) has no procs files and reports
 * {@link ResourceUsage#NOT_AVAILABLE}; see {@link CgroupManager#create}.
 */
public interface SandboxCgroup extends AutoCloseable {

    /** cgroup.procs files the init pid must be written into: one on v2, one per hierarchy on v1, none when no cgroup. */
    List<Path> procsFiles();

    /**
     * On cgroup v2, the one directory the init can be cloned straight into (clone3 with CLONE_INTO_CGROUP),
     * which spares the migration a write to cgroup.procs costs; empty on v1 and without a cgroup.
     */
    default Optional<Path> cloneIntoDirectory() {
        return Optional.empty();
    }

    /** Every directory created for this sandbox, for the state file and {@link CgroupCleaner#removeStale}. */
    List<Path> directories();

    /** Current usage; after {@link #close()} the last values read before removal. */
    ResourceUsage usage();

    /**
     * Kills every process in the sandbox: v2 cgroup.kill; otherwise freeze (v2 cgroup.freeze, v1 freezer when
     * present), SIGKILL every pid in cgroup.procs, thaw, and repeat until the cgroup is empty.
     *
     * @throws CgroupException when processes remain after the configured remove timeout
     */
    void killAll();

    /** {@link #killAll()}, then removes the directories, retrying EBUSY for a bounded time. Idempotent. */
    @Override
    void close();
}
