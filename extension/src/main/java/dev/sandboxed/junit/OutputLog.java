package dev.sandboxed.junit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Everything a background process wrote to one stream so far, with the complete lines, for waiting on output. */
final class OutputLog {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final List<String> lines = new ArrayList<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private boolean closed;

    synchronized void append(byte[] buf, int len) {
        bytes.write(buf, 0, len);
        for (int i = 0; i < len; i++) {
            if (buf[i] == '\n') {
                lines.add(partial.toString(StandardCharsets.UTF_8));
                partial.reset();
            } else {
                partial.write(buf[i]);
            }
        }
        notifyAll();
    }

    synchronized void close() {
        if (partial.size() > 0) {
            lines.add(partial.toString(StandardCharsets.UTF_8));
            partial.reset();
        }
        closed = true;
        notifyAll();
    }

    synchronized byte[] bytes() {
        return bytes.toByteArray();
    }

    synchronized String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** The first line from {@code from} on matching {@code pattern} (find semantics). */
    synchronized Optional<String> firstMatch(Pattern pattern) {
        for (String line : lines) {
            if (pattern.matcher(line).find()) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    /** Waits up to {@code nanos} for more output or the end of the stream. */
    synchronized void awaitChange(long nanos) throws InterruptedException {
        if (!closed && nanos > 0) {
            long millis = Math.max(1, nanos / 1_000_000);
            wait(millis);
        }
    }
}
