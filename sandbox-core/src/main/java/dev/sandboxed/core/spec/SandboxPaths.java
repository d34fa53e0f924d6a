package dev.sandboxed.core.spec;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Validation of paths in a spec: absolute, no {@code ..}, no NUL, existing where they must. */
final class SandboxPaths {
    private SandboxPaths() {
    }

    /** A path inside the sandbox: absolute and normalized, never escaping with {@code ..}. */
    static String insidePath(String field, String path) {
        if (path == null || path.isEmpty()) {
            throw new SpecException(field, "path is empty; expected an absolute path such as /data");
        }
        if (path.indexOf('\0') >= 0) {
            throw new SpecException(field, "path contains a NUL byte");
        }
        if (!path.startsWith("/")) {
            throw new SpecException(field, "'" + path + "' is relative; expected an absolute path such as /data");
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new SpecException(field, "'" + path + "' contains '..'; paths may not climb out of a directory");
            }
        }
        String normalized = Path.of(path).normalize().toString();
        return normalized;
    }

    /** A host path that must exist (a bind source). */
    static Path existingHostPath(String field, String path) {
        String normalized = insidePath(field, path);
        Path p = Path.of(normalized);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.exists(p)) {
            throw new SpecException(field, "'" + path + "' does not exist on the host");
        }
        return p;
    }
}
