package dev.sandboxed.core.internal.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a host executable the way a shell would, then in the standard system directories, because
 * {@code PATH} is often minimal under CI runners and IDEs while {@code newuidmap} lives in {@code /usr/bin}.
 */
public final class ExecutableLocator {
    private static final List<String> SYSTEM_DIRS = List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin");

    private final HostEnvironment host;

    public ExecutableLocator(HostEnvironment host) {
        this.host = host;
    }

    public Optional<Path> find(String name) {
        for (String dir : searchDirs()) {
            Path candidate = host.file(dir).resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private Set<String> searchDirs() {
        List<String> dirs = new ArrayList<>();
        for (String entry : host.variable("PATH").orElse("").split(":")) {
            // Relative PATH entries depend on the working directory; never trust them for setuid helpers.
            if (entry.startsWith("/")) {
                dirs.add(entry);
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        return new LinkedHashSet<>(dirs);
    }
}
