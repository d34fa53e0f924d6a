package dev.sandboxed.core.internal.host;

import java.util.OptionalLong;

/**
 * This JVM's real and effective ids, read once from {@code /proc/self/status}: Java has no {@code getuid()}, nothing
 * in the JDK or here changes them, and reading a file needs no native call (nor Java 22+'s native access).
 */
public final class OwnIds {
    private static final int REAL = 0;
    private static final int EFFECTIVE = 1;

    private OwnIds() {
    }

    /** The ids as getuid(2), getgid(2) and geteuid(2) answer them. */
    record Ids(int uid, int gid, int effectiveUid) {
    }

    /** Read on first use, so a host without /proc fails where ids are needed, saying why (and again if asked again). */
    private static final Memo<Ids> CURRENT = new Memo<>(() -> from(ProcStatus.read(HostEnvironment.system())));

    /** The real uid. */
    public static int uid() {
        return CURRENT.get().uid();
    }

    /** The real gid. */
    public static int gid() {
        return CURRENT.get().gid();
    }

    /** The effective uid: 0 has root's privileges. */
    public static int effectiveUid() {
        return CURRENT.get().effectiveUid();
    }

    static Ids from(ProcStatus status) {
        return new Ids(id(status, "Uid", REAL), id(status, "Gid", REAL), id(status, "Uid", EFFECTIVE));
    }

    private static int id(ProcStatus status, String field, int column) {
        OptionalLong id = status.column(field, column);
        if (id.isEmpty()) {
            throw new IllegalStateException("cannot read " + field + ": from /proc/self/status; is /proc mounted?");
        }
        return (int) id.getAsLong();
    }
}
