package dev.sandboxed.core.internal.rootfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The host root's top-level directories and symlinks, sorted by name. Every host-view sandbox needs them;
 * listing and checking each entry costs a few dozen syscalls, so the list is kept until the root directory's
 * modification time changes (any entry added, removed, renamed or replaced changes it).
 */
final class HostRootEntries {
    /** A directory, or a symlink with its target. */
    record Entry(String name, Optional<String> symlinkTarget) {
    }

    private record Snapshot(FileTime modified, List<Entry> entries) {
    }

    private static final Path ROOT = Path.of("/");
    private static volatile Snapshot cached;

    private HostRootEntries() {
    }

    static List<Entry> current() throws IOException {
        FileTime modified = Files.getLastModifiedTime(ROOT);
        Snapshot snapshot = cached;
        if (snapshot == null || !snapshot.modified().equals(modified)) {
            snapshot = new Snapshot(modified, list());
            cached = snapshot;
        }
        return snapshot.entries();
    }

    private static List<Entry> list() throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> paths = Files.list(ROOT)) {
            for (Path path : paths.sorted().toList()) {
                String name = path.getFileName().toString();
                if (Files.isSymbolicLink(path)) {
                    entries.add(new Entry(name, Optional.of(Files.readSymbolicLink(path).toString())));
                } else if (Files.isDirectory(path)) {
                    entries.add(new Entry(name, Optional.empty()));
                }
            }
        }
        return List.copyOf(entries);
    }
}
