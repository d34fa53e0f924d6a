package dev.sandboxed.core.internal.host;

/**
 * Who this process runs as. Java has no {@code getuid()}, so the ids come from {@code /proc/self/status}.
 *
 * @param uid          the real uid (what {@code newuidmap} and {@code /etc/subuid} match against)
 * @param gid          the real gid
 * @param effectiveUid the effective uid; 0 means the process has root's privileges
 * @param name         the user name from {@code /etc/passwd}, or the JVM's {@code user.name}, or the uid as text
 */
public record UserIdentity(long uid, long gid, long effectiveUid, String name) {
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
        OwnIds.Ids ids = OwnIds.from(ProcStatus.read(host));
        long uid = Integer.toUnsignedLong(ids.uid());
        return new UserIdentity(uid, Integer.toUnsignedLong(ids.gid()), Integer.toUnsignedLong(ids.effectiveUid()),
                userName(host, uid));
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
