package dev.sandboxed.core.internal.host;

import java.util.OptionalLong;

/**
 * Who this process runs as. Java has no {@code getuid()}, so the ids come from {@code /proc/self/status}.
 *
 * @param uid          the real uid (what {@code newuidmap} and {@code /etc/subuid} match against)
 * @param gid          the real gid
 * @param effectiveUid the effective uid; 0 means the process has root's privileges
 * @param name         the user name from {@code /etc/passwd}, or the JVM's {@code user.name}, or the uid as text
 */
public record UserIdentity(long uid, long gid, long effectiveUid, String name) {
    private static final int REAL = 0;
    private static final int EFFECTIVE = 1;

    public boolean isRoot() {
        return effectiveUid == 0;
    }

    /**
     * Reads the identity of this process.
     *
     * @throws IllegalStateException when {@code /proc/self/status} has no {@code Uid:}/{@code Gid:} lines
     *                               (for example {@code /proc} is not mounted)
     */
    public static UserIdentity read(HostEnvironment host) {
        ProcStatus status = ProcStatus.read(host);
        OptionalLong uid = status.column("Uid", REAL);
        OptionalLong euid = status.column("Uid", EFFECTIVE);
        OptionalLong gid = status.column("Gid", REAL);
        if (uid.isEmpty() || euid.isEmpty() || gid.isEmpty()) {
            throw new IllegalStateException("cannot read Uid:/Gid: from " + host.proc("self/status")
                    + "; is /proc mounted?");
        }
        return new UserIdentity(uid.getAsLong(), gid.getAsLong(), euid.getAsLong(), userName(host, uid.getAsLong()));
    }

    /** /etc/passwd first because the JVM's user.name follows the effective uid and may be "?" for unknown ids. */
    private static String userName(HostEnvironment host, long uid) {
        String wanted = Long.toString(uid);
        for (String line : HostFiles.readLines(host.etc("passwd"))) {
            String[] fields = line.split(":", -1);
            if (fields.length >= 3 && fields[2].equals(wanted) && !fields[0].isEmpty()) {
                return fields[0];
            }
        }
        String fallback = host.fallbackUserName();
        return fallback.isBlank() || fallback.equals("?") ? wanted : fallback;
    }
}
