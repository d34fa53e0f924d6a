package dev.sandboxed.core.wait;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.spec.ProcessSpec;

/**
 * The output of a {@link SandboxProcess}, collected as it comes: a server's log to wait on ({@link Wait#forLogLine})
 * and to show when something goes wrong. {@link #follow} takes over the process's stdout and stderr (read them from
 * here afterwards), reading each on a daemon thread until the process closes it. Keeps the last 16 MiB of each
 * stream and the last 10,000 lines of both, in the order they arrived, at most 16 MiB of them in all (oldest dropped
 * first); counts every line ever seen. A line longer than 64 KiB is kept as its first 64 KiB followed by
 * {@code [... N bytes cut]}, and log-line waits match that text: a process writing long lines must not fill the JVM.
 * Thread-safe.
 */
public final class ProcessLog {
    private static final int MAX_BYTES = ProcessSpec.DEFAULT_MAX_OUTPUT_BYTES;
    private static final int MAX_LINES = 10_000;
    /** The most kept of one line, in bytes; the rest is counted and cut. */
    static final int MAX_LINE_BYTES = 64 * 1024;
    /** The most kept of all lines together, in bytes. */
    static final long MAX_LINES_BYTES = 16L * 1024 * 1024;

    private final SandboxProcess process;
    private final Stream stdout = new Stream();
    private final Stream stderr = new Stream();
    private final Deque<String> lines = new ArrayDeque<>();
    /** The UTF-8 size of {@link #lines}, kept at most {@link #MAX_LINES_BYTES}. */
    private long linesBytes;
    /** Lines seen in all, kept or dropped: line {@code i} (from 0) is kept if {@code i >= seen - lines.size()}. */
    private long seen;

    private ProcessLog(SandboxProcess process) {
        this.process = process;
    }

    /** Starts collecting {@code process}'s piped stdout and stderr; nobody else may read them afterwards. */
    public static ProcessLog follow(SandboxProcess process) {
        Objects.requireNonNull(process, "process");
        ProcessLog log = new ProcessLog(process);
        log.pump(process.stdout(), log.stdout, "stdout");
        log.pump(process.stderr(), log.stderr, "stderr");
        return log;
    }

    public SandboxProcess process() {
        return process;
    }

    // One daemon thread per stream: a server may write for as long as its sandbox lives.
    private void pump(InputStream in, Stream stream, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    append(stream, buf, n);
                }
            } catch (IOException e) {
                // The pipe was closed under us: the process or its sandbox is gone.
            } finally {
                close(stream);
            }
        }, "sandbox-log-" + name + "-" + process.pid());
        t.setDaemon(true);
        t.start();
    }

    private synchronized void append(Stream stream, byte[] buf, int len) {
        stream.bytes.write(buf, 0, len);
        if (stream.bytes.size() > MAX_BYTES) {
            byte[] all = stream.bytes.toByteArray();
            int drop = all.length - MAX_BYTES / 2;
            stream.bytes.reset();
            stream.bytes.write(all, drop, all.length - drop);
        }
        int start = 0;
        for (int i = 0; i < len; i++) {
            if (buf[i] == '\n') {
                writePartial(stream, buf, start, i - start);
                addLine(stream);
                start = i + 1;
            }
        }
        writePartial(stream, buf, start, len - start);
        notifyAll();
    }

    // Keeps a line's first MAX_LINE_BYTES and counts the rest: a binary stream or a long line must not grow it forever.
    private static void writePartial(Stream stream, byte[] buf, int off, int len) {
        int keep = Math.min(len, Math.max(0, MAX_LINE_BYTES - stream.partial.size()));
        stream.partial.write(buf, off, keep);
        stream.cut += len - keep;
    }

    private void addLine(Stream stream) {
        String line = stream.partial.toString(StandardCharsets.UTF_8);
        stream.partial.reset();
        if (stream.cut > 0) {
            line = line + " [... " + stream.cut + " bytes cut]";
            stream.cut = 0;
        } else if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        lines.addLast(line);
        linesBytes += utf8Size(line);
        seen++;
        while (lines.size() > MAX_LINES || linesBytes > MAX_LINES_BYTES) {
            linesBytes -= utf8Size(lines.removeFirst());
        }
    }

    private static int utf8Size(String line) {
        return line.getBytes(StandardCharsets.UTF_8).length;
    }

    private synchronized void close(Stream stream) {
        if (stream.partial.size() > 0 || stream.cut > 0) {
            addLine(stream);
        }
        stream.closed = true;
        notifyAll();
    }

    /** The stdout kept so far (all of it unless more than 16 MiB came). */
    public synchronized String stdout() {
        return stdout.bytes.toString(StandardCharsets.UTF_8);
    }

    public synchronized String stderr() {
        return stderr.bytes.toString(StandardCharsets.UTF_8);
    }

    public synchronized byte[] stdoutBytes() {
        return stdout.bytes.toByteArray();
    }

    public synchronized byte[] stderrBytes() {
        return stderr.bytes.toByteArray();
    }

    /** Complete lines of stdout and stderr seen so far, kept or not (a partial last line counts once its stream ends). */
    public synchronized long lineCount() {
        return seen;
    }

    /** The UTF-8 size of the kept lines (after cutting long ones), at most 16 MiB. */
    public synchronized long keptLineBytes() {
        return linesBytes;
    }

    /** The kept lines from line {@code index} on (counting from 0 as {@link #lineCount()} does), in arrival order. */
    public synchronized List<String> linesFrom(long index) {
        long first = seen - lines.size();
        List<String> out = new ArrayList<>();
        long i = first;
        for (String line : lines) {
            if (i++ >= index) {
                out.add(line);
            }
        }
        return out;
    }

    /**
     * Hands each kept line from line {@code index} on to {@code action}, in arrival order, and returns the index of the
     * next line to come: the way to read a log incrementally.
     */
    public synchronized long forEachLineFrom(long index, Consumer<String> action) {
        linesFrom(index).forEach(action);
        return Math.max(index, seen);
    }

    /** The last {@code n} lines of both streams, in arrival order. */
    public synchronized List<String> tail(int n) {
        return linesFrom(Math.max(0, seen - n));
    }

    /** Whether both streams have ended (the process and whatever shared its pipes closed them). */
    public synchronized boolean isClosed() {
        return stdout.closed && stderr.closed;
    }

    /** Waits up to {@code nanos} for more output or the end of both streams. */
    public synchronized void awaitChange(long nanos) throws InterruptedException {
        if (!isClosed() && nanos > 0) {
            wait(Math.max(1, nanos / 1_000_000));
        }
    }

    /** Waits up to {@code nanos} until both streams ended; the last bytes arrive just after the process exits. */
    public synchronized boolean awaitClosed(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (!isClosed()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    @Override
    public String toString() {
        return "log of " + process;
    }

    private static final class Stream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        /** Bytes of the current line beyond {@link #MAX_LINE_BYTES}, not kept. */
        long cut;
        boolean closed;
    }
}
