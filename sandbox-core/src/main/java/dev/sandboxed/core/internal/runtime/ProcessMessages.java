package dev.sandboxed.core.internal.runtime;

import static dev.sandboxed.core.internal.protocol.Protocol.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;

/** Builds the K_EXEC message for one process: the spec's defaults merged with the process's own settings. */
public final class ProcessMessages {
    private ProcessMessages() {
    }

    /**
     * Above this many bytes of F_ARG and F_ENV fields the strings travel in a sealed memfd (F_ARGV_MEMFD): a message is
     * at most MAX_MESSAGE and the socket buffers cap it lower; below it, the message carries them (no extra syscalls).
     */
    static final int INLINE_STRINGS_MAX = 64 * 1024;

    /**
     * The K_EXEC message of a process, with the memfd of its arguments and environment when they are large.
     *
     * @throws SpecException when they exceed what sandbox-init takes (MAX_ARGV_MEMFD), more than execve would
     */
    public static ExecMessage exec(int execId, ProcessRole role, SandboxSpec spec, ProcessSpec process, IdMapPlan ids,
            Optional<SeccompFilter> seccomp) {
        UserSpec user = process.user().orElse(spec.user());
        Message m = Message.of(K_EXEC).putU32(F_EXEC_ID, execId).putU32(F_MAIN, role == ProcessRole.MAIN ? 1 : 0);
        Message strings = Message.fields(256);
        for (String arg : process.command()) {
            strings.putString(F_ARG, arg);
        }
        int argumentBytes = strings.size();
        environment(spec, process, user).forEach((k, v) -> strings.putString(F_ENV, k + "=" + v));
        boolean large = strings.size() > INLINE_STRINGS_MAX;
        if (large) {
            checkArgvLimit(argumentBytes, strings.size() - argumentBytes);
        } else {
            m.putFields(strings);
        }
        m.putString(F_CWD, process.workdir().orElse(spec.workdir()));
        m.putU32(F_UID, user.uid());
        m.putU32(F_GID, user.gid());
        if (ids.canSetGroups()) {
            m.put(F_GROUPS, new byte[0]); // no supplementary groups, as a fresh login would have none here
        }
        long caps = Capability.mask(spec.capabilities());
        // Like Docker: a non-root user keeps the bounding set but holds no capabilities.
        long effective = user.uid() == 0 ? caps : 0;
        m.put(F_CAPS, ByteBuffer.allocate(CAPS_LEN).order(ByteOrder.nativeOrder()).putLong(CAPS_BOUNDING, caps)
                .putLong(CAPS_EFFECTIVE, effective).array());
        for (Map.Entry<Rlimit, Rlimit.Value> r : spec.rlimits().entrySet()) {
            m.put(F_RLIMIT, ByteBuffer.allocate(RLIMIT_LEN).order(ByteOrder.nativeOrder())
                    .putInt(RLIMIT_RESOURCE, r.getKey().resource()).putLong(RLIMIT_SOFT, r.getValue().soft())
                    .putLong(RLIMIT_HARD, r.getValue().hard()).array());
        }
        m.putU32(F_NEW_SESSION, 1);
        m.putU32(F_NO_NEW_PRIVS, 1);
        seccomp.ifPresent(filter -> {
            m.put(F_SECCOMP, filter.bytes());
            if (filter.notifyDenials()) {
                m.putU32(F_SECCOMP_NOTIFY, filter.defaultErrno().orElse(Errno.EPERM));
            }
        });
        if (!large) {
            return new ExecMessage(m, -1);
        }
        m.putU32(F_ARGV_MEMFD, strings.size());
        return new ExecMessage(m, Native.sealedMemfd("sandbox-argv", strings.toBytes()));
    }

    /** The spec's environment with the process's own over it. */
    private static Map<String, String> environment(SandboxSpec spec, ProcessSpec process, UserSpec user) {
        Map<String, String> env = new LinkedHashMap<>(spec.environment());
        env.putAll(process.environment());
        if (user.uid() != 0 && "/root".equals(env.get("HOME")) && !process.environment().containsKey("HOME")) {
            env.put("HOME", "/");
        }
        return env;
    }

    /**
     * Refuses a process whose arguments and environment exceed what sandbox-init takes, as {@link #exec} would, for a
     * caller that must know before anything is created (the main process of a one-shot sandbox). Allocates nothing
     * unless a bound of three bytes per char says it could be too large.
     *
     * @throws SpecException naming the larger part and the limit
     */
    public static void checkSize(SandboxSpec spec, ProcessSpec process) {
        Map<String, String> env = environment(spec, process, process.user().orElse(spec.user()));
        long bound = 0;
        for (String arg : process.command()) {
            bound += 8 + 3L * arg.length();
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            bound += 9 + 3L * (e.getKey().length() + e.getValue().length());
        }
        if (bound <= MAX_ARGV_MEMFD) {
            return;
        }
        long argumentBytes = process.command().stream().mapToLong(a -> 8 + utf8Length(a)).sum();
        long environmentBytes = env.entrySet().stream().mapToLong(e -> 9 + utf8Length(e.getKey()) + utf8Length(e.getValue()))
                .sum();
        checkArgvLimit(argumentBytes, environmentBytes);
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** More than sandbox-init takes: refused here, naming the larger part, rather than failing in the sandbox. */
    private static void checkArgvLimit(long argumentBytes, long environmentBytes) {
        long total = argumentBytes + environmentBytes;
        if (total > MAX_ARGV_MEMFD) {
            throw new SpecException(argumentBytes >= environmentBytes ? "command" : "env",
                    "arguments (" + argumentBytes + " bytes) and environment (" + environmentBytes + " bytes) take "
                            + total + " bytes encoded; sandbox-init takes at most " + MAX_ARGV_MEMFD + " (4 MiB), and"
                            + " execve at most a quarter of the stack limit");
        }
    }
}
