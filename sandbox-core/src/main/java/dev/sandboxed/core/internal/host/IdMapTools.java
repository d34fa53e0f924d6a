package dev.sandboxed.core.internal.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Locates {@code newuidmap}/{@code newgidmap} and determines whether they can actually write id maps. */
public final class IdMapTools {
    private static final int SETUID_BIT = 04000;
    private static final Duration GETCAP_TIMEOUT = Duration.ofSeconds(5);

    /** A file's mode bits and owning uid. */
    public record FileMode(int mode, long ownerUid) {
    }

    /** Reads a file's mode; an interface so tests need not create root-owned setuid files. */
    @FunctionalInterface
    public interface FileStat {
        FileMode read(Path file) throws IOException;
    }

    private final HostEnvironment host;
    private final ExecutableLocator locator;
    private final FileStat stat;

    public IdMapTools(HostEnvironment host) {
        this(host, IdMapTools::unixModeAndOwner);
    }

    public IdMapTools(HostEnvironment host, FileStat stat) {
        this.host = Objects.requireNonNull(host, "host");
        this.locator = new ExecutableLocator(host);
        this.stat = Objects.requireNonNull(stat, "stat");
    }

    public IdMapTool newuidmap() {
        return inspect("newuidmap", "cap_setuid");
    }

    public IdMapTool newgidmap() {
        return inspect("newgidmap", "cap_setgid");
    }

    /** Both helpers exist and are privileged. */
    public boolean bothUsable() {
        return newuidmap().usable() && newgidmap().usable();
    }

    private IdMapTool inspect(String name, String capability) {
        Optional<Path> path = locator.find(name);
        if (path.isEmpty()) {
            return new IdMapTool(name, path, IdMapTool.Privilege.MISSING);
        }
        if (isSetuidRoot(path.get())) {
            return new IdMapTool(name, path, IdMapTool.Privilege.SETUID_ROOT);
        }
        if (hasFileCapability(path.get(), capability)) {
            return new IdMapTool(name, path, IdMapTool.Privilege.FILE_CAPABILITIES);
        }
        return new IdMapTool(name, path, IdMapTool.Privilege.UNPRIVILEGED);
    }

    private boolean isSetuidRoot(Path file) {
        try {
            FileMode mode = stat.read(file);
            return (mode.mode() & SETUID_BIT) != 0 && mode.ownerUid() == 0;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * Java cannot read {@code security.*} xattrs, so ask {@code getcap} (libcap) when it is installed;
     * it prints for example {@code /usr/bin/newuidmap cap_setuid=ep}.
     */
    private boolean hasFileCapability(Path file, String capability) {
        Optional<Path> getcap = locator.find("getcap");
        if (getcap.isEmpty()) {
            return false;
        }
        try {
            CommandRunner.Result result = host.commands()
                    .run(List.of(getcap.get().toString(), file.toString()), GETCAP_TIMEOUT);
            return result.succeeded() && result.output().contains(capability);
        } catch (IOException e) {
            return false;
        }
    }

    public static FileMode unixModeAndOwner(Path file) throws IOException {
        int mode = (Integer) Files.getAttribute(file, "unix:mode");
        int owner = (Integer) Files.getAttribute(file, "unix:uid");
        return new FileMode(mode, Integer.toUnsignedLong(owner));
    }
}
