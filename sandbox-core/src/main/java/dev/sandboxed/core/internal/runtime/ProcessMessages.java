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
import dev.sandboxed.core.spec.ProcessSpec;
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
        return exec(execId, role, ExecProfile.of(spec, ids, seccomp), process);
    }

    /** {@link #exec(int, ProcessRole, SandboxSpec, ProcessSpec, IdMapPlan, Optional)} from a sandbox's exec profile. */
    public static ExecMessage exec(int execId, ProcessRole role, ExecProfile profile, ProcessSpec process) {
        int uid = process.user().map(UserSpec::uid).orElse(profile.uid());
        int gid = process.user().map(UserSpec::gid).orElse(profile.gid());
        Message m = Message.of(K_EXEC).putU32(F_EXEC_ID, execId).putU32(F_MAIN, role == ProcessRole.MAIN ? 1 : 0);
        Message strings = Message.fields(256);
        for (String arg : process.command()) {
            strings.putString(F_ARG, arg);
        }
        int argumentBytes = strings.size();
        environment(profile.environment(), process, uid).forEach((k, v) -> strings.putString(F_ENV, k + "=" + v));
        boolean large = strings.size() > INLINE_STRINGS_MAX;
        if (large) {
            checkArgvLimit(argumentBytes, strings.size() - argumentBytes);
        } else {
            m.putFields(strings);
        }
        m.putString(F_CWD, process.workdir().orElse(profile.workdir()));
        m.putU32(F_UID, uid);
        m.putU32(F_GID, gid);
        if (profile.setGroups()) {
            m.put(F_GROUPS, new byte[0]); // no supplementary groups, as a fresh login would have none here
        }
        // Like Docker: a non-root user keeps the bounding set but holds no capabilities (keeper.c does the same).
        putConfinement(m, profile, uid == 0);
        m.putU32(F_NEW_SESSION, 1);
        m.putU32(F_NO_NEW_PRIVS, 1);
        if (!large) {
            return new ExecMessage(m, -1);
        }
        m.putU32(F_ARGV_MEMFD, strings.size());
        return new ExecMessage(m, Native.sealedMemfd("sandbox-argv", strings.toBytes()));
    }

    /**
     * The profile's capabilities ({@code effective}: also held, not only bounding), rlimits and seccomp program; also
     * what K_KEEP hands a keeper, which puts them into every process it starts whatever its client sent.
     */
    public static Message putConfinement(Message m, ExecProfile profile, boolean effective) {
        long caps = profile.capabilities();
        m.put(F_CAPS, ByteBuffer.allocate(CAPS_LEN).order(ByteOrder.nativeOrder()).putLong(CAPS_BOUNDING, caps)
                .putLong(CAPS_EFFECTIVE, effective ? caps : 0).array());
        for (long[] r : profile.rlimits()) {
            m.put(F_RLIMIT, ByteBuffer.allocate(RLIMIT_LEN).order(ByteOrder.nativeOrder())
                    .putInt(RLIMIT_RESOURCE, (int) r[0]).putLong(RLIMIT_SOFT, r[1]).putLong(RLIMIT_HARD, r[2]).array());
        }
        if (profile.seccomp() != null) {
            m.put(F_SECCOMP, profile.seccomp());
            if (profile.notifyErrno() >= 0) {
                m.putU32(F_SECCOMP_NOTIFY, profile.notifyErrno());
            }
            if (profile.notifyBind()) {
                m.putU32(F_SECCOMP_BIND, 1);
            }
        }
        return m;
    }

    /** The spec's environment with the process's own over it. */
    private static Map<String, String> environment(Map<String, String> base, ProcessSpec process, int uid) {
        Map<String, String> env = new LinkedHashMap<>(base);
        env.putAll(process.environment());
        if (uid != 0 && "/root".equals(env.get("HOME")) && !process.environment().containsKey("HOME")) {
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
        Map<String, String> env = environment(spec.environment(), process, process.user().orElse(spec.user()).uid());
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
