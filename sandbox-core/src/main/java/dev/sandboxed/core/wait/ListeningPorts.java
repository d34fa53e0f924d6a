package dev.sandboxed.core.wait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * TCP ports in LISTEN state in the network namespace of a host pid, from the kernel's {@code /proc/PID/net/tcp} and
 * {@code tcp6} tables: no process in the sandbox, no connection, no published port needed, and readable by the
 * sandbox's owner, root or not. The tables are written by the kernel, not by the sandbox.
 */
final class ListeningPorts {
    private static final String LISTEN = "0A";

    private ListeningPorts() {
    }

    /** Whether a socket listens on {@code port} (any address) in {@code pid}'s network namespace. */
    static boolean isListening(int pid, int port) {
        return listens(Path.of("/proc", Integer.toString(pid), "net", "tcp"), port)
                || listens(Path.of("/proc", Integer.toString(pid), "net", "tcp6"), port);
    }

    private static boolean listens(Path table, int port) {
        try {
            return listens(Files.readAllLines(table), port);
        } catch (IOException e) {
            return false; // no IPv6 in this kernel, or the process is gone (the caller checks the sandbox)
        }
    }

    /** Lines {@code sl local_address rem_address st ...}, local_address {@code HEXADDR:HEXPORT}; a header first. */
    static boolean listens(List<String> lines, int port) {
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[3].equals(LISTEN)) {
                continue;
            }
            int colon = f[1].lastIndexOf(':');
            if (colon < 0) {
                continue;
            }
            try {
                if (Integer.parseInt(f[1].substring(colon + 1), 16) == port) {
                    return true;
                }
            } catch (NumberFormatException e) {
                // not a socket line
            }
        }
        return false;
    }
}
