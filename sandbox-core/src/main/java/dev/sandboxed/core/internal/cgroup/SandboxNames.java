package dev.sandboxed.core.internal.cgroup;

import dev.sandboxed.core.spec.SpecException;

/** Directory names of sandbox cgroups. */
final class SandboxNames {
    static final String PREFIX = "sandboxed-";
    private static final int MAX_ID = 200; // NAME_MAX is 255

    private SandboxNames() {
    }

    /** {@code sandboxed-<id>} with characters outside [A-Za-z0-9_.-] replaced, so the id cannot escape the parent. */
    static String directoryName(String sandboxId) {
        if (sandboxId == null || sandboxId.isBlank()) {
            throw new SpecException("sandboxId", "must not be empty");
        }
        if (sandboxId.length() > MAX_ID) {
            throw new SpecException("sandboxId", "must be at most " + MAX_ID + " characters");
        }
        StringBuilder name = new StringBuilder(PREFIX.length() + sandboxId.length()).append(PREFIX);
        // One '_' per character, also outside the BMP (two chars), as the regex this replaced gave.
        sandboxId.codePoints().forEach(c -> name.append(isKept(c) ? (char) c : '_'));
        return name.toString();
    }

    /** [A-Za-z0-9_.-], checked by hand: a regex here was compiled again for every sandbox. */
    private static boolean isKept(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-';
    }
}
