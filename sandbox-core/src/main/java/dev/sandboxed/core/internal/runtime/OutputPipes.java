package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.UnixSockets;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.result.SandboxException;

/**
 * The JVM's read ends of the output pipes of a kept sandbox's running processes, copied for its keeper: once this JVM
 * is gone the keeper drains them, else the next write of such a process would get SIGPIPE. A pipe is known by its name
 * in /proc/self/fd ({@code pipe:[INODE]}), since the stream that reads it holds a descriptor of its own.
 */
final class OutputPipes {
    /** How many a keeper drains (MAX_DRAINS in keeper.c): the stdout and stderr of 32 processes. */
    static final int MAX = 64;
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
                    + copies.size() + " of the " + pipes.size() + " output pipes of its running processes (at most " + max
                    + "); a process writing to another one after this JVM ended gets SIGPIPE");
        }
        return copies;
    }

    /**
     * Hands {@code rest} (the copies K_KEEP had no room for; the caller closes them) to keeper {@code keeper} on its
     * operations socket, K_KEEP_DRAINS messages of up to MAX_FDS each; a failure leaves them to this JVM, with a warning.
     */
    static void handRest(String sandboxId, int keeper, List<Integer> rest) {
        if (rest.isEmpty()) {
            return;
        }
        String name = "sandboxed-ops/" + OwnIds.uid() + "/" + keeper; // ControlServer.socketName, which is above us
        try {
            int fd = UnixSockets.connect(name, "keeper " + keeper);
            try (ControlSocket socket = new ControlSocket(fd, "keeper " + keeper)) {
                UnixSockets.Peer peer = UnixSockets.peer(fd);
                if (peer.pid() != keeper || peer.uid() != OwnIds.uid()) {
                    throw new SandboxException("@" + name + " is held by process " + peer.pid() + ", not the keeper", 0);
                }
                for (int i = 0; i < rest.size(); i += Protocol.MAX_FDS) {
                    List<Integer> chunk = rest.subList(i, Math.min(rest.size(), i + Protocol.MAX_FDS));
                    socket.send(Message.of(Protocol.K_KEEP_DRAINS), chunk.stream().mapToInt(Integer::intValue).toArray());
                }
            }
        } catch (RuntimeException e) {
            System.getLogger(OutputPipes.class.getName()).log(Level.WARNING, "sandbox " + sandboxId + ": " + rest.size()
                    + " output pipes of its processes could not go to its keeper (" + e.getMessage() + "); a process"
                    + " writing to one of them after this JVM ended gets SIGPIPE");
        }
    }
}
