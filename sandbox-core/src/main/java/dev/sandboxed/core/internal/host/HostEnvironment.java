package dev.sandboxed.core.internal.host;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where host probing reads from: the {@code /proc} and {@code /etc} trees, the file system root (for marker files
 * such as {@code /.dockerenv} and for executables), the process environment and the way external commands run.
 * Tests point every root at a fake tree under a temporary directory.
 *
 * @param fsRoot           the file system root that absolute paths are resolved against
 * @param procRoot         the {@code /proc} tree
 * @param etcRoot          the {@code /etc} tree
 * @param env              environment variables ({@code PATH}, {@code container})
 * @param fallbackUserName user name to use when {@code /etc/passwd} has no entry for the uid (NSS/LDAP users); may be empty
 * @param commands         runs external probes such as {@code unshare}
 */
public record HostEnvironment(Path fsRoot, Path procRoot, Path etcRoot, Map<String, String> env,
                              String fallbackUserName, CommandRunner commands) {

    public HostEnvironment {
        Objects.requireNonNull(fsRoot, "fsRoot");
        Objects.requireNonNull(procRoot, "procRoot");
        Objects.requireNonNull(etcRoot, "etcRoot");
        env = Map.copyOf(Objects.requireNonNull(env, "env"));
        fallbackUserName = fallbackUserName == null ? "" : fallbackUserName;
        Objects.requireNonNull(commands, "commands");
    }

    /** The real host this JVM runs on. */
    public static HostEnvironment system() {
        return new HostEnvironment(Path.of("/"), Path.of("/proc"), Path.of("/etc"), System.getenv(),
                System.getProperty("user.name", ""), new ProcessCommandRunner());
    }

    /** A fake host whose {@code /proc}, {@code /etc} and every absolute path live under {@code root}. */
    public static HostEnvironment underRoot(Path root, Map<String, String> env, CommandRunner commands) {
        return new HostEnvironment(root, root.resolve("proc"), root.resolve("etc"), env, "", commands);
    }

    /** A file under {@code /proc}, for example {@code proc("sys/kernel/osrelease")}. */
    public Path proc(String relative) {
        return procRoot.resolve(relative);
    }

    /** A file under {@code /etc}, for example {@code etc("subuid")}. */
    public Path etc(String relative) {
        return etcRoot.resolve(relative);
    }

    /** An absolute host path such as {@code /.dockerenv}, resolved against {@link #fsRoot()}. */
    public Path file(String absolute) {
        String relative = absolute.startsWith("/") ? absolute.substring(1) : absolute;
        return relative.isEmpty() ? fsRoot : fsRoot.resolve(relative);
    }

    /** An environment variable, empty when unset or blank. */
    public Optional<String> variable(String name) {
        return Optional.ofNullable(env.get(name)).filter(value -> !value.isBlank());
    }
}
