package dev.sandboxed.core.internal.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Reads small kernel and config files, treating "missing or unreadable" as absent rather than an error. */
public final class HostFiles {
    private HostFiles() {
    }

    /** The file's content without surrounding whitespace, empty when it does not exist or cannot be read. */
    public static Optional<String> readTrimmed(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The file's lines, empty when it does not exist or cannot be read. */
    public static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    /** A sysctl-style file holding one integer; empty when missing or not a number. */
    static OptionalLong readLong(Path file) {
        Optional<String> text = readTrimmed(file);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text.get()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
