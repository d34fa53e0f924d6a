package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * What every process of a sandbox gets unless the process says otherwise: the spec's environment, working directory
 * and user, its capabilities, rlimits and compiled seccomp filter. Saved in a kept sandbox's state entry, it lets the
 * {@code sandboxed} CLI build a process exactly as the JVM that owned the sandbox would ({@link ProcessMessages}).
 *
 * @param rlimits     resource, soft, hard
 * @param seccomp     the BPF program, or null for none
 * @param notifyErrno the errno seccomp notifications are answered with, or -1 without notifications
 * @param notifyBind  the filter sends bind(2) to the init for the port bypass
 */
public record ExecProfile(Map<String, String> environment, String workdir, int uid, int gid, long capabilities,
        List<long[]> rlimits, boolean setGroups, byte[] seccomp, int notifyErrno, boolean notifyBind) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ExecProfile of(SandboxSpec spec, IdMapPlan ids, Optional<SeccompFilter> seccomp) {
        List<long[]> rlimits = new ArrayList<>();
        for (Map.Entry<Rlimit, Rlimit.Value> r : spec.rlimits().entrySet()) {
            rlimits.add(new long[] {r.getKey().resource(), r.getValue().soft(), r.getValue().hard()});
        }
        return new ExecProfile(new LinkedHashMap<>(spec.environment()), spec.workdir(), spec.user().uid(),
                spec.user().gid(), Capability.mask(spec.capabilities()), rlimits, ids.canSetGroups(),
                seccomp.map(SeccompFilter::bytes).orElse(null),
                seccomp.map(ExecProfile::deniedErrno).orElse(-1), seccomp.map(SeccompFilter::notifyBind).orElse(false));
    }

    /** The errno the filter's denial notifications are answered with, or -1 when it reports no denials. */
    static int deniedErrno(SeccompFilter seccomp) {
        return seccomp.notifyDenials() ? seccomp.defaultErrno().orElse(Errno.EPERM) : -1;
    }

    public ExecProfile(Map<String, String> environment, String workdir, int uid, int gid, long capabilities,
            List<long[]> rlimits, boolean setGroups, byte[] seccomp, int notifyErrno) {
        this(environment, workdir, uid, gid, capabilities, rlimits, setGroups, seccomp, notifyErrno, false);
    }

    /** Written aside and renamed, 0600 in the private state directory: it holds the environment. */
    public void write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp); // left by a JVM killed mid-write: created anew, so with this mode
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, JSON.writeValueAsBytes(this));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("write " + file, e);
        }
    }

    public static ExecProfile read(Path file) {
        try {
            return JSON.readValue(file.toFile(), ExecProfile.class);
        } catch (IOException e) {
            throw new UncheckedIOException("read " + file, e);
        }
    }
}
