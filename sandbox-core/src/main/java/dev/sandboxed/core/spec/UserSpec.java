package dev.sandboxed.core.spec;

import java.io.IOException;
import java.util.List;

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
     * Parses {@code UID[:GID]} or {@code NAME[:GROUP]}; names are looked up in the root filesystem's
     * /etc/passwd and /etc/group, as they would be inside the sandbox.
     */
    public static UserSpec parse(String text, RootFs rootfs) {
        String[] parts = text.split(":", 2);
        int uid;
        int gid;
        if (isNumber(parts[0])) {
            uid = Integer.parseInt(parts[0]);
            gid = uid;
        } else {
            String[] entry = lookup(rootfs, "/etc/passwd", parts[0], "user");
            uid = Integer.parseInt(entry[2]);
            gid = Integer.parseInt(entry[3]);
        }
        if (parts.length == 2) {
            gid = isNumber(parts[1]) ? Integer.parseInt(parts[1])
                    : Integer.parseInt(lookup(rootfs, "/etc/group", parts[1], "group")[2]);
        }
        return new UserSpec(uid, gid);
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() < 10 && s.chars().allMatch(Character::isDigit);
    }

    private static String[] lookup(RootFs rootfs, String file, String name, String what) {
        String path = rootfs.isImage() ? file + " of " + rootfs : rootfs.hostPathOf(file).toString();
        List<String> lines;
        try {
            lines = rootfs.readLines(file);
        } catch (IOException e) {
            throw new SpecException("user", "unknown " + what + " '" + name + "': cannot read " + path + " (" + e.getMessage() + "); use a numeric id");
        }
        for (String line : lines) {
            String[] fields = line.split(":", -1);
            if (fields.length >= 4 && fields[0].equals(name) && isNumber(fields[2])) {
                return fields;
            }
        }
        throw new SpecException("user", "unknown " + what + " '" + name + "' (not in " + path + "); use a numeric id or a name listed there");
    }

    @Override
    public String toString() {
        return uid + ":" + gid;
    }
}
