package dev.sandboxed.core.spec;

/** The uid and gid a process runs as inside the sandbox. */
public record UserSpec(int uid, int gid) {
    public static final UserSpec ROOT = new UserSpec(0, 0);

    public UserSpec {
        if (uid < 0 || uid > 65535) {
            throw new SpecException("user", "uid " + uid + " is outside 0..65535, the ids a sandbox maps");
        }
        if (gid < 0 || gid > 65535) {
            throw new SpecException("user", "gid " + gid + " is outside 0..65535, the ids a sandbox maps");
        }
    }

    /**
     * Parses {@code UID[:GID]}. Names ({@code NAME[:GROUP]}) are looked up in the sandbox's root filesystem when it
     * starts: see {@link SandboxSpec.Builder#user(String)}.
     */
    public static UserSpec parseIds(String text) {
        String[] parts = text.split(":", 2);
        if (!isNumber(parts[0]) || (parts.length == 2 && !isNumber(parts[1]))) {
            throw new SpecException("user", "'" + text + "' is not UID[:GID] with ids 0..65535");
        }
        int uid = Integer.parseInt(parts[0]);
        return new UserSpec(uid, parts.length == 2 ? Integer.parseInt(parts[1]) : uid);
    }

    /** Whether {@code text} is {@code UID[:GID]}, as opposed to a name for either part. */
    public static boolean isIds(String text) {
        String[] parts = text.split(":", 2);
        return isNumber(parts[0]) && (parts.length == 1 || isNumber(parts[1]));
    }

    /** A uid or gid as text: digits only, short enough to be an int. */
    public static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() < 10 && s.chars().allMatch(Character::isDigit);
    }

    /** Checks the syntax of {@code NAME[:GROUP]} (either part may be an id), before any file is read. */
    static void checkNames(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length > 2 || text.chars().anyMatch(c -> c < 0x21 || c == '/' || c == 0x7f)) {
            throw new SpecException("user", "'" + text + "' is not NAME[:GROUP] or UID[:GID] (names have no spaces,"
                    + " '/' or control characters)");
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                throw new SpecException("user", "'" + text + "' has an empty name; use NAME[:GROUP] or UID[:GID]");
            }
        }
    }

    @Override
    public String toString() {
        return uid + ":" + gid;
    }
}
