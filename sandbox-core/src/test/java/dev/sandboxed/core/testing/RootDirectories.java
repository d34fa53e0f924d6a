package dev.sandboxed.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Root directories for a sandbox built in a test's temporary directory. */
public final class RootDirectories {
    private RootDirectories() {
    }

    /** {@code tmp/root} with an empty {@code etc}, beside room in {@code tmp} for things outside the root. */
    public static Path withEtc(Path tmp) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        return root;
    }
}
