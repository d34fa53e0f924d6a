package dev.sandboxed.core.result;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A finished process: the command, how it ended, everything it wrote and how long it ran.
 */
public record ExecResult(List<String> command, ExitStatus status, byte[] stdoutBytes, byte[] stderrBytes,
        Duration duration) {

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
        return "stdout:\n" + lastLines(stdout(), n) + "\nstderr:\n" + lastLines(stderr(), n);
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - n), lines.size());
        return tail.isEmpty() ? "  (empty)" : "  " + String.join("\n  ", tail);
    }

    @Override
    public String toString() {
        return "`" + String.join(" ", command) + "` " + status + " after " + duration.toMillis() + " ms";
    }
}
