package dev.sandboxed.core.internal.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The subordinate uid and gid ranges a user may map into a user namespace through {@code newuidmap}/{@code newgidmap}.
 * Reads {@code /etc/subuid} and {@code /etc/subgid}: lines of {@code owner:start:count}, where owner is a user name
 * or a numeric uid (in both files, the owning user's uid), {@code #} starts a comment line, and malformed lines are
 * skipped just as shadow-utils skips them.
 */
public final class SubordinateIds {
    /** Ids are 32-bit; shadow-utils rejects ranges that run past the top. */
    private static final long ID_LIMIT = 1L << 32;

    private final Path subuidFile;
    private final Path subgidFile;

    public SubordinateIds(Path subuidFile, Path subgidFile) {
        this.subuidFile = Objects.requireNonNull(subuidFile, "subuidFile");
        this.subgidFile = Objects.requireNonNull(subgidFile, "subgidFile");
    }

    /** {@code subuid} and {@code subgid} under the host's {@code /etc}. */
    public static SubordinateIds of(HostEnvironment host) {
        return new SubordinateIds(host.etc("subuid"), host.etc("subgid"));
    }

    /** The user's subordinate uid ranges in file order; empty when there are none or the file is missing. */
    public List<IdRange> uidRanges(String userName, long uid) {
        return parse(HostFiles.readLines(subuidFile), userName, uid);
    }

    /** The user's subordinate gid ranges in file order; entries are owned by user name or uid, as in subuid. */
    public List<IdRange> gidRanges(String userName, long uid) {
        return parse(HostFiles.readLines(subgidFile), userName, uid);
    }

    /** The ranges in {@code lines} owned by {@code userName} or by the numeric {@code uid}. */
    public static List<IdRange> parse(List<String> lines, String userName, long uid) {
        String uidText = Long.toString(uid);
        List<IdRange> ranges = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split(":", -1);
            if (fields.length != 3) {
                continue;
            }
            String owner = fields[0].strip();
            if (!owner.equals(userName) && !owner.equals(uidText)) {
                continue;
            }
            parseRange(fields[1].strip(), fields[2].strip()).ifPresent(ranges::add);
        }
        return List.copyOf(ranges);
    }

    private static Optional<IdRange> parseRange(String startText, String countText) {
        if (!isDigits(startText) || !isDigits(countText) || startText.length() > 10 || countText.length() > 10) {
            return Optional.empty();
        }
        long start = Long.parseLong(startText);
        long count = Long.parseLong(countText);
        if (count < 1 || start + count > ID_LIMIT) {
            return Optional.empty();
        }
        return Optional.of(new IdRange(start, count));
    }

    private static boolean isDigits(String text) {
        return !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
