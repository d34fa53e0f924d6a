package dev.sandboxed.core.result;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A finished process: the command, how it ended, what it wrote and how long it ran. Output beyond the process's
 * {@code maxOutputBytes} keeps its head and tail; {@link #stdoutTruncatedBytes()} and {@link #stderrTruncatedBytes()}
 * count what was dropped between them.
 */
public record ExecResult(List<String> command, ExitStatus status, byte[] stdoutBytes, byte[] stderrBytes,
        Duration duration, long stdoutTruncatedBytes, long stderrTruncatedBytes) {

    /** A result whose output was kept whole. */
    public ExecResult(List<String> command, ExitStatus status, byte[] stdoutBytes, byte[] stderrBytes,
            Duration duration) {
        this(command, status, stdoutBytes, stderrBytes, duration, 0, 0);
    }

    /** Whether bytes were dropped from the middle of stdout or stderr. */
    public boolean truncated() {
        return stdoutTruncatedBytes > 0 || stderrTruncatedBytes > 0;
    }

    public int exitCode() {
        return status.exitCode();
    }

    public ExitReason exitReason() {
        return status.reason();
    }

    public boolean succeeded() {
        return status.succeeded();
    }

    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    public String stderr() {
        return new String(stderrBytes, StandardCharsets.UTF_8);
    }

    /** The last {@code n} lines of stdout and stderr, for failure messages. */
    public String tail(int n) {
        return "stdout" + dropped(stdoutTruncatedBytes) + ":\n" + lastLines(stdout(), n) + "\nstderr"
                + dropped(stderrTruncatedBytes) + ":\n" + lastLines(stderr(), n);
    }

    private static String dropped(long bytes) {
        return bytes == 0 ? "" : " (" + bytes + " bytes dropped in the middle)";
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - n), lines.size());
        return tail.isEmpty() ? "  (empty)" : "  " + String.join("\n  ", tail);
    }

    @Override
    public String toString() {
        return "`" + String.join(" ", command) + "` " + status + " after " + duration.toMillis() + " ms"
                + (stdoutTruncatedBytes == 0 ? "" : "; stdout truncated, " + stdoutTruncatedBytes + " bytes dropped")
                + (stderrTruncatedBytes == 0 ? "" : "; stderr truncated, " + stderrTruncatedBytes + " bytes dropped");
    }
}
