package dev.sandboxed.junit.internal.hermetic;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * This JVM's end of the events FIFO (see {@link Wire}): made and opened before the sandboxed JVM starts and read on a
 * thread from its start, one JSON line at a time, at most {@link #MAX_BYTES} in all and {@link #MAX_LINE} a line (beyond either the
 * JVM is killed and {@link #end} fails naming the cap). The FIFO is opened read-write here, which never blocks and
 * keeps a writer on it, so the read never ends early; once the sandbox is gone (everything it wrote is in the pipe),
 * {@link #end} writes a line with a random marker the sandbox cannot know, and the reader stops there. Everything is
 * read through the descriptors opened before the sandboxed JVM existed: replacing the FIFO in the directory changes
 * nothing.
 */
final class EventPipe {
    /** The most the events may take: the child writes them, so their size is the child's to choose. */
    static final int MAX_BYTES = 64 << 20;
    static final int MAX_LINE = 32 << 20; // a published file of 16 MiB is some 22 MiB in base64
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long END_WAIT_SECONDS = 10;

    private final FileChannel in;
    private final FileChannel out;
    private final byte[] marker;
    private final List<JsonNode> events = new ArrayList<>();
    private Thread reader;
    private volatile String overflow;
    private boolean ended;

    private EventPipe(FileChannel in, FileChannel out) {
        this.in = in;
        this.out = out;
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        this.marker = ("end " + HexFormat.of().formatHex(nonce)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Makes the FIFO {@code fifo} (mode 0600) and opens it: nothing blocks, as this JVM holds both ends. */
    static EventPipe create(Path fifo) throws IOException {
        makeFifo(fifo);
        FileChannel in = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try {
            return new EventPipe(in, FileChannel.open(fifo, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** mkfifo(1): the JDK cannot make a FIFO, and a libc call would need native access (a warning on Java 22+). */
    private static void makeFifo(Path fifo) throws IOException {
        ProcessBuilder command =
                new ProcessBuilder("mkfifo", "-m", "600", "--", fifo.toString()).redirectErrorStream(true);
        command.environment().put("LC_ALL", "C"); // its message goes into ours
        Process mkfifo;
        try {
            mkfifo = command.start();
        } catch (IOException e) {
            throw new IOException("cannot run mkfifo (coreutils) to make the sandboxed JVM's event FIFO " + fifo, e);
        }
        String output = new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int status;
        try {
            status = mkfifo.waitFor();
        } catch (InterruptedException e) {
            mkfifo.destroyForcibly();
            Files.deleteIfExists(fifo); // the directory is this JVM's: whatever is there now, mkfifo may have made
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while making " + fifo);
        }
        if (status != 0) {
            throw new IOException(
                    "mkfifo " + fifo + " for the sandboxed JVM's events failed (exit " + status + "): " + output);
        }
    }

    /** Reads from now on; {@code kill} ends the sandboxed JVM when it writes more than the caps. */
    synchronized void start(Runnable kill) {
        reader = new Thread(() -> read(kill), "sandboxed-jvm-events");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(Runnable kill) {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long total = 0;
        boolean malformed = false; // a line that was no event: none after it is taken (it was torn, so the JVM died)
        boolean longLine = false; // the current line passed the cap: only its end is looked for
        try {
            int n;
            while ((n = in.read(buffer.clear())) >= 0) {
                total += n; // with the few bytes of the end line: they change nothing that matters
                if (total > MAX_BYTES) {
                    overflow(kill, "more than " + (MAX_BYTES >> 20) + " MiB of events");
                }
                byte[] b = buffer.array();
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (b[i] != '\n') {
                        continue;
                    }
                    boolean discard = malformed || overflow != null;
                    append(line, b, start, i, discard || longLine);
                    start = i + 1;
                    if (!longLine && line.size() == marker.length && Arrays.equals(line.toByteArray(), marker)) {
                        return;
                    }
                    if (!longLine && line.size() > MAX_LINE) {
                        overflow(kill, "an event line longer than " + (MAX_LINE >> 20) + " MiB");
                    } else if (!longLine && !discard) {
                        malformed = !parse(line.toByteArray());
                    }
                    line.reset();
                    longLine = false;
                }
                append(line, b, start, n, malformed || overflow != null || longLine);
                if (!longLine && line.size() > MAX_LINE) {
                    longLine = true;
                    line.reset();
                    overflow(kill, "an event line longer than " + (MAX_LINE >> 20) + " MiB");
                }
            }
        } catch (IOException e) {
            // closed by end() after its wait: nothing more to read
        }
    }

    /** Keeps the bytes of the line, or, when discarding, as many as a marker has (a longer line is none). */
    private void append(ByteArrayOutputStream line, byte[] b, int from, int to, boolean discard) {
        int n = discard ? Math.min(to - from, Math.max(0, marker.length + 1 - line.size())) : to - from;
        line.write(b, from, n);
    }

    private boolean parse(byte[] line) {
        if (line.length == 0) {
            return true;
        }
        try {
            JsonNode event = Json.readTree(line);
            if (event == null) {
                return false;
            }
            synchronized (events) {
                events.add(event);
            }
            return true;
        } catch (JsonProcessingException e) {
            return false; // torn (the JVM died writing it) or not an event: nothing after it is taken
        } catch (IOException e) {
            return false;
        }
    }

    private void overflow(Runnable kill, String what) {
        if (overflow == null) {
            overflow = "the sandboxed JVM wrote " + what + " (the cap), so it was killed";
            try {
                kill.run();
            } catch (RuntimeException e) {
                // it ended meanwhile
            }
        }
    }

    /**
     * Once the sandboxed JVM and its sandbox are gone: the complete events it wrote, in order (a torn last line is left
     * out), after which the pipe is closed. Fails when it wrote more than a cap.
     */
    synchronized List<JsonNode> end() throws IOException {
        if (!ended) {
            ended = true;
            try {
                if (reader != null && reader.isAlive()) {
                    out.write(ByteBuffer.wrap(("\n" + new String(marker, StandardCharsets.US_ASCII) + "\n")
                            .getBytes(StandardCharsets.US_ASCII)));
                    reader.join(TimeUnit.SECONDS.toMillis(END_WAIT_SECONDS));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try (in; out) {
                    // closing also ends a read still waiting
                }
            }
        }
        if (overflow != null) {
            throw new IOException(overflow);
        }
        synchronized (events) {
            return List.copyOf(events);
        }
    }
}
