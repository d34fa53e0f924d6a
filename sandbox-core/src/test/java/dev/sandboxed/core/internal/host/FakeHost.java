package dev.sandboxed.core.internal.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds a fake host tree (/proc, /etc, executables) under a temporary directory and records commands run. */
public final class FakeHost {
    public final Path root;
    public final Map<String, String> env = new HashMap<>();
    public final List<List<String>> commandsRun = new ArrayList<>();
    private CommandRunner.Result unshareResult = CommandRunner.Result.exited(0, "");

    public FakeHost(Path root) {
        this.root = root;
        env.put("PATH", "/usr/bin");
    }

    public FakeHost proc(String relative, String content) {
        return write(root.resolve("proc").resolve(relative), content);
    }

    public FakeHost etc(String relative, String content) {
        return write(root.resolve("etc").resolve(relative), content);
    }

    public FakeHost file(String absolute, String content) {
        return write(root.resolve(absolute.substring(1)), content);
    }

    public FakeHost kernel(String release) {
        return proc("sys/kernel/osrelease", release + "\n");
    }

    /** A /proc/self/status with the given real/effective uid and gid and seccomp mode 0. */
    public FakeHost user(long uid, long gid) {
        return proc("self/status", "Name:\tjava\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid
                + "\nGid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid + "\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    }

    public FakeHost executable(String absolute) {
        Path path = root.resolve(absolute.substring(1));
        write(path, "#!/bin/sh\n");
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Installs a fake /usr/bin/unshare that exits with {@code exitCode}. */
    public FakeHost unshare(int exitCode, String output) {
        executable("/usr/bin/unshare");
        unshareResult = CommandRunner.Result.exited(exitCode, output);
        return this;
    }

    public HostEnvironment environment() {
        return HostEnvironment.underRoot(root, env, (command, timeout) -> {
            commandsRun.add(command);
            if (command.get(0).endsWith("/unshare")) {
                return unshareResult;
            }
            throw new IOException("unexpected command " + command);
        });
    }

    private FakeHost write(Path path, String content) {
        try {
            Files.createDirectories(path.getParent());
            Files.writeString(path, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }
}
