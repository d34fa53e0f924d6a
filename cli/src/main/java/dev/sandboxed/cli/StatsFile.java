package dev.sandboxed.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

import dev.sandboxed.core.spec.SpecException;

/**
 * The {@code --stats} file. Checked before the sandbox starts: a typo found only when the command has run would
 * lose its statistics.
 */
final class StatsFile {
    private StatsFile() {
    }

    /** The absolute path of a file that can be written, or a SpecException naming the reason and errno. */
    static Path check(String text) {
        Path file = Path.of(text).toAbsolutePath();
        Path dir = file.getParent();
        if (Files.isDirectory(file)) {
            throw problem(text, "it is a directory (EISDIR); expected a file name");
        }
        if (!Files.exists(dir)) {
            throw problem(text, "directory " + dir + " does not exist (ENOENT)");
        }
        if (!Files.isDirectory(dir)) {
            throw problem(text, dir + " is not a directory (ENOTDIR)");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(dir)) {
            throw problem(text, (Files.exists(file) ? "the file" : "directory " + dir) + " is not writable (EACCES)");
        }
        return file;
    }

    private static SpecException problem(String text, String reason) {
        return new SpecException("stats", "cannot write '" + text + "': " + reason);
    }

    /** Why a write failed, with the errno name: NIO's messages of these are only the path. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory (ENOENT)";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied (EACCES)";
        }
        if (e instanceof NotDirectoryException) {
            return "Not a directory (ENOTDIR)";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
