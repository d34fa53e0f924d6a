package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.internal.os.Native;

/**
 * The JVM's read ends of the output pipes of a kept sandbox's running processes, copied for its keeper: once this JVM
 * is gone the keeper drains them, else the next write of such a process would get SIGPIPE. A pipe is known by its name
 * in /proc/self/fd ({@code pipe:[INODE]}), since the stream that reads it holds a descriptor of its own.
 */
final class OutputPipes {
    private static final int F_DUPFD_CLOEXEC = 1030;

    private OutputPipes() {
    }

    /** Copies (the caller closes them) of this JVM's descriptors of {@code pipes}, at most {@code max}. */
    static List<Integer> copies(String sandboxId, List<String> pipes, int max) {
        List<Integer> copies = new ArrayList<>();
        if (pipes.isEmpty()) {
            return copies;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                if (copies.size() == max) {
                    break;
                }
                int number = Integer.parseInt(fd.getFileName().toString());
                String name = StdioSetup.pipeName(number);
                if (name == null || !pipes.contains(name)) {
                    continue;
                }
                int copy = Native.libc().fcntl(number, F_DUPFD_CLOEXEC, 0);
                // The number may have been closed and reused since it was read: only a copy of that pipe goes.
                if (copy >= 0 && name.equals(StdioSetup.pipeName(copy))) {
                    copies.add(copy);
                } else {
                    Native.close(copy);
                }
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger(OutputPipes.class.getName()).log(Level.WARNING, "sandbox " + sandboxId + ": could not find"
                    + " the output pipes of its processes for its keeper: " + e.getMessage());
        }
        if (copies.size() < pipes.size()) {
            System.getLogger(OutputPipes.class.getName()).log(Level.WARNING, "sandbox " + sandboxId + ": its keeper drains "
                    + copies.size() + " of the " + pipes.size() + " output pipes of its running processes; a process"
                    + " writing to another one after this JVM ended gets SIGPIPE");
        }
        return copies;
    }
}
