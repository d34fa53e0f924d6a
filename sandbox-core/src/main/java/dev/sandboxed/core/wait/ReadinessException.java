package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.List;

/**
 * A sandbox did not become ready: the awaited condition was not met in time, the watched process exited first, or a
 * health check judged it unhealthy. The message says what was awaited, why it failed, how long it waited, the state
 * of the watched process and its last output lines.
 */
public class ReadinessException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String awaited;
    private final Duration waited;
    private final String processState;
    private final List<String> lastLines;

    public ReadinessException(String awaited, String reason, Duration waited, String processState, List<String> lastLines) {
        super(message(awaited, reason, waited, processState, lastLines));
        this.awaited = awaited;
        this.waited = waited;
        this.processState = processState;
        this.lastLines = List.copyOf(lastLines);
    }

    private static String message(String awaited, String reason, Duration waited, String state, List<String> lines) {
        StringBuilder m = new StringBuilder("not ready: waited ").append(WaitTarget.seconds(waited)).append(" for ")
                .append(awaited).append(": ").append(reason).append("\n").append(state);
        if (lines.isEmpty()) {
            m.append("\n(no output lines)");
        } else {
            m.append("\nlast ").append(lines.size()).append(lines.size() == 1 ? " output line:" : " output lines:");
            for (String line : lines) {
                m.append("\n  ").append(line);
            }
        }
        return m.toString();
    }

    /** What was awaited, e.g. {@code a TCP socket listening on port 5432}. */
    public String awaited() {
        return awaited;
    }

    public Duration waited() {
        return waited;
    }

    /** The watched process and whether it runs or how it exited; or the sandbox's state when no process was watched. */
    public String processState() {
        return processState;
    }

    /** The watched process's last output lines, stdout and stderr in arrival order (empty without a process). */
    public List<String> lastLines() {
        return lastLines;
    }
}
