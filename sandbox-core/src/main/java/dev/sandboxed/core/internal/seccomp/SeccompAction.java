package dev.sandboxed.core.internal.seccomp;

import java.util.Objects;

/**
 * What the kernel does with a system call: the {@code SECCOMP_RET_*} value a filter returns.
 * Only {@link Kind#ERRNO} carries data (the errno, 0..4095).
 */
public final class SeccompAction {
    /** The kinds of seccomp return values, with their {@code SECCOMP_RET_*} base values. */
    public enum Kind {
        KILL_PROCESS(0x80000000),
        KILL_THREAD(0x00000000),
        TRAP(0x00030000),
        ERRNO(0x00050000),
        USER_NOTIF(0x7fc00000),
        LOG(0x7ffc0000),
        ALLOW(0x7fff0000);

        private final int base;

        Kind(int base) {
            this.base = base;
        }

        public int base() {
            return base;
        }
    }

    /** errno values the filters use. */
    public static final int EPERM = 1;
    public static final int ENOSYS = 38;
    /** The kernel truncates SECCOMP_RET_DATA to MAX_ERRNO. */
    public static final int MAX_ERRNO = 4095;

    public static final SeccompAction ALLOW = new SeccompAction(Kind.ALLOW, 0);
    public static final SeccompAction KILL_PROCESS = new SeccompAction(Kind.KILL_PROCESS, 0);
    public static final SeccompAction KILL_THREAD = new SeccompAction(Kind.KILL_THREAD, 0);
    public static final SeccompAction TRAP = new SeccompAction(Kind.TRAP, 0);
    public static final SeccompAction LOG = new SeccompAction(Kind.LOG, 0);
    public static final SeccompAction USER_NOTIF = new SeccompAction(Kind.USER_NOTIF, 0);

    private final Kind kind;
    private final int errno;

    private SeccompAction(Kind kind, int errno) {
        this.kind = kind;
        this.errno = errno;
    }

    /** Fail the syscall with this errno. */
    public static SeccompAction errno(int errno) {
        if (errno < 0 || errno > MAX_ERRNO) {
            throw new IllegalArgumentException("errno must be 0.." + MAX_ERRNO + ", got " + errno);
        }
        return new SeccompAction(Kind.ERRNO, errno);
    }

    public static SeccompAction of(Kind kind) {
        switch (kind) {
            case ALLOW: return ALLOW;
            case KILL_PROCESS: return KILL_PROCESS;
            case KILL_THREAD: return KILL_THREAD;
            case TRAP: return TRAP;
            case LOG: return LOG;
            case USER_NOTIF: return USER_NOTIF;
            default: throw new IllegalArgumentException("ERRNO needs an errno: use errno(n)");
        }
    }

    /** Decodes a 32-bit seccomp return value; the inverse of {@link #returnValue()}. */
    public static SeccompAction fromReturnValue(int value) {
        int action = value & 0xffff0000;
        for (Kind kind : Kind.values()) {
            if (kind.base == action) {
                return kind == Kind.ERRNO ? errno(value & 0xffff) : of(kind);
            }
        }
        throw new IllegalArgumentException("unknown seccomp return value 0x" + Integer.toHexString(value));
    }

    public Kind kind() {
        return kind;
    }

    /** The errno for {@link Kind#ERRNO}, else 0. */
    public int errno() {
        return errno;
    }

    /** True for actions that let the syscall run (ALLOW, LOG). */
    public boolean permits() {
        return kind == Kind.ALLOW || kind == Kind.LOG;
    }

    /** The value the BPF program returns. */
    public int returnValue() {
        return kind.base | errno;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompAction && ((SeccompAction) o).kind == kind && ((SeccompAction) o).errno == errno;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, errno);
    }

    @Override
    public String toString() {
        return kind == Kind.ERRNO ? "ERRNO(" + errno + ")" : kind.name();
    }
}
