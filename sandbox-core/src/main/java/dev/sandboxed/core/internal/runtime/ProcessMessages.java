package dev.sandboxed.core.internal.runtime;

import static dev.sandboxed.core.internal.protocol.Protocol.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;

/** Builds the K_EXEC message for one process: the spec's defaults merged with the process's own settings. */
public final class ProcessMessages {
    private ProcessMessages() {
    }

    public static Message exec(int execId, ProcessRole role, SandboxSpec spec, ProcessSpec process, IdMapPlan ids,
            Optional<SeccompFilter> seccomp) {
        UserSpec user = process.user().orElse(spec.user());
        Message m = Message.of(K_EXEC).putU32(F_EXEC_ID, execId).putU32(F_MAIN, role == ProcessRole.MAIN ? 1 : 0);
        for (String arg : process.command()) {
            m.putString(F_ARG, arg);
        }
        Map<String, String> env = new LinkedHashMap<>(spec.environment());
        env.putAll(process.environment());
        if (user.uid() != 0 && "/root".equals(env.get("HOME")) && !process.environment().containsKey("HOME")) {
            env.put("HOME", "/");
        }
        env.forEach((k, v) -> m.putString(F_ENV, k + "=" + v));
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
        return m;
    }
}
