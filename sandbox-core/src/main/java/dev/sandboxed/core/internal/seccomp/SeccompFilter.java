package dev.sandboxed.core.internal.seccomp;

import java.util.OptionalInt;

/**
 * A compiled filter and what the init process needs to know to install and serve it.
 *
 * @param program        the BPF program to load as the last step before execve
 * @param arch           the native architecture it was compiled for
 * @param notifyDenials  true when denials by the default action come as SECCOMP_RET_USER_NOTIF
 *                       (the init must load it with SECCOMP_FILTER_FLAG_NEW_LISTENER)
 * @param defaultErrno   the errno of the policy's default action, if it is ERRNO: in notify mode
 *                       the init answers every notification with {@code -defaultErrno}
 * @param notifyBind     bind(2) and connect(2) come as SECCOMP_RET_USER_NOTIF for the port bypass ({@link BindBypass}): the init
 *                       must load it with a listener even without denial reports
 */
public record SeccompFilter(BpfProgram program, SyscallArch arch, boolean notifyDenials, OptionalInt defaultErrno,
        boolean notifyBind) {

    public SeccompFilter(BpfProgram program, SyscallArch arch, boolean notifyDenials, OptionalInt defaultErrno) {
        this(program, arch, notifyDenials, defaultErrno, false);
    }

    /** The filter bytes ({@code struct sock_filter[]}, little-endian). */
    public byte[] bytes() {
        return program.bytes();
    }
}
