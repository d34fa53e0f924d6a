package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The {@code n}-th line of the watched process's stdout or stderr that matches a pattern (anywhere in the line, as
 * {@link java.util.regex.Matcher#find()}); see {@link Wait#forLogLine}. Counts from the first line, or from the line
 * {@link #afterLine} names, so that a test can wait for the next match after a point.
 */
public final class LogLineWait extends WaitStrategy {
    private static final long PAUSE_NANOS = 100_000_000L;
    private final Pattern pattern;
    private final int times;
    private final long fromLine;

    LogLineWait(Pattern pattern, int times, long fromLine, Duration timeout) {
        super(timeout);
        this.pattern = Objects.requireNonNull(pattern, "pattern");
        if (times < 1) {
            throw new IllegalArgumentException("times " + times + " is not positive");
        }
        if (fromLine < 0) {
            throw new IllegalArgumentException("line " + fromLine + " is negative");
        }
        this.times = times;
        this.fromLine = fromLine;
    }

    /** Waits for the {@code n}-th matching line (Testcontainers' {@code forLogMessage(regex, times)}). */
    public LogLineWait times(int n) {
        return new LogLineWait(pattern, n, fromLine, timeout());
    }

    /** Counts only lines from {@code line} on: pass {@link ProcessLog#lineCount()} to wait for the next match. */
    public LogLineWait afterLine(long line) {
        return new LogLineWait(pattern, times, line, timeout());
    }

    @Override
    public LogLineWait withTimeout(Duration timeout) {
        return new LogLineWait(pattern, times, fromLine, timeout);
    }

    public Pattern pattern() {
        return pattern;
    }

    public int times() {
        return times;
    }

    @Override
    void await(WaitTarget target, long deadline) throws InterruptedException {
        ProcessLog log = target.log().orElseThrow(() -> new IllegalArgumentException(
                "a log-line wait needs the output of a process: use awaitOn(sandbox, ProcessLog.follow(process))"));
        long[] next = {fromLine};
        int[] found = {0};
        target.poll(this, deadline, PAUSE_NANOS, () -> {
            // Only the lines that came since the last look are matched.
            next[0] = log.forEachLineFrom(next[0], line -> {
                if (pattern.matcher(line).find()) {
                    found[0]++;
                }
            });
            return found[0] >= times;
        }, () -> times == 1 ? "no line matched" : found[0] + " of " + times + " lines matched");
    }

    @Override
    public String toString() {
        String which = times == 1 ? "a line" : times + " lines";
        return which + " matching /" + pattern + "/ on stdout or stderr" + (fromLine > 0 ? " after line " + fromLine : "");
    }
}
