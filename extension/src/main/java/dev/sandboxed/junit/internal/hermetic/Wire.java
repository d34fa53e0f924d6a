package dev.sandboxed.junit.internal.hermetic;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The protocol between the test JVM and a sandboxed test JVM: the parent writes the request (the test to run and the
 * configuration parameters) as one JSON line on the child's stdin, a pipe, once the child has booted; the child writes
 * one JSON object per line, each in one write, as things happen into {@code events}, a FIFO the parent made in the
 * directory they share before the child started and reads from its start ({@link EventPipe}: capped, ended by a marker
 * line of its own once the sandbox is gone), so a child that dies mid-test yields every complete event before it.
 * Events ({@code type}): {@code started}, {@code entry} ({@code entries}: a report entry), {@code file} (a file or
 * directory the test published, see {@link PublishedFiles}),
 * {@code finished} ({@code status} SUCCESSFUL, FAILED or ABORTED, {@code throwable}), {@code skipped}
 * ({@code reason}), {@code exit} ({@code frames}: where {@code System.exit} was called) and, when listing a factory,
 * {@code dynamic} ({@code uniqueId}, {@code parentId}, {@code displayName}, {@code container}, {@code source}: a URI).
 * The other files the parent reads from that directory (a crash report, a class list) are untrusted: see
 * {@link #readUntrusted}.
 */
public final class Wire {
    /** Where the shared directory is inside the sandbox. */
    public static final String DIR_INSIDE = "/run/sandboxed-jvm";
    /** The events FIFO in the shared directory. */
    public static final String EVENTS = "events";
    /** Set in the sandboxed JVM: the extension does not act there, the test runs in place. */
    public static final String CHILD_PROPERTY = "sandboxed.jvm.child";

    private Wire() {
    }

    /**
     * The test the child runs: its unique id in the parent (the child's launcher selects exactly that test, also an
     * invocation of a test template or a dynamic test) and its display name there, which the child compares for
     * invocations and dynamic tests, which are identified by position only. With {@code list}, {@code uniqueId} is a
     * test factory: the child runs it, skips its dynamic tests and reports them ({@code dynamic} events).
     * {@code positional}: the display names, by unique id, of the test and its ancestors that are identified by
     * position (see {@link Invocations}), which the child compares.
     */
    public record Request(String uniqueId, String displayName, boolean list, Map<String, String> configuration,
                          Map<String, String> positional) {
        public Request(String uniqueId, String displayName, boolean list, Map<String, String> configuration) {
            this(uniqueId, displayName, list, configuration, Invocations.positional(uniqueId)
                    ? Map.of(uniqueId, displayName) : Map.of());
        }

        /** The test {@code uniqueId} itself. */
        public Request(String uniqueId, String displayName, Map<String, String> configuration) {
            this(uniqueId, displayName, false, configuration);
        }

        ObjectNode toJson() {
            ObjectNode n = Json.NODES.objectNode();
            n.put("uniqueId", uniqueId).put("displayName", displayName).put("list", list);
            ObjectNode config = n.putObject("configuration");
            configuration.forEach(config::put);
            ObjectNode names = n.putObject("positional");
            positional.forEach(names::put);
            return n;
        }

        /** Reads what {@link #toJson} wrote, with the streaming parser alone (see {@link Json}). */
        static Request parse(String line) throws IOException {
            String uniqueId = "";
            String displayName = "";
            boolean list = false;
            Map<String, String> config = Map.of();
            Map<String, String> names = Map.of();
            try (JsonParser p = Json.FACTORY.createParser(line)) {
                expect(p, p.nextToken(), JsonToken.START_OBJECT);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    switch (field) {
                        case "uniqueId" -> uniqueId = p.getValueAsString("");
                        case "displayName" -> displayName = p.getValueAsString("");
                        case "list" -> list = p.getValueAsBoolean();
                        case "configuration" -> config = strings(p);
                        case "positional" -> names = strings(p);
                        default -> p.skipChildren();
                    }
                }
                expect(p, p.currentToken(), JsonToken.END_OBJECT);
            }
            return new Request(uniqueId, displayName, list, config, names);
        }

        private static Map<String, String> strings(JsonParser p) throws IOException {
            expect(p, p.currentToken(), JsonToken.START_OBJECT);
            Map<String, String> map = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                map.put(key, p.getValueAsString(""));
            }
            return map;
        }

        private static void expect(JsonParser p, JsonToken actual, JsonToken expected) throws IOException {
            if (actual != expected) {
                throw new JsonParseException(p, "malformed request: " + expected + " expected, not " + actual);
            }
        }
    }

    /** The child's side: the request, the first line of {@code in}. */
    static Request readRequest(java.io.InputStream in) throws IOException {
        java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        String line = reader.readLine();
        if (line == null) {
            throw new java.io.EOFException("no request: the test JVM closed this JVM's stdin");
        }
        return Request.parse(line);
    }

    /**
     * At most {@code max} bytes from the start of {@code file}, a file the sandboxed JVM may have replaced; empty when it
     * is missing, not a regular file (a FIFO or device would hang or never end the read) or cannot be read. No link is
     * followed: read in the parent's view, it would reach the parent's files. Read after the sandbox is gone, so nothing
     * swaps the file between the check and the read.
     */
    static Optional<byte[]> readUntrusted(Path file, int max) {
        try {
            if (!Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                return Optional.empty();
            }
            try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(in.readNBytes(max));
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The crash report the child JVM writes in the shared directory (-XX:ErrorFile; no pid: one JVM per directory). */
    static final String CRASH_REPORT = "hs_err.log";

    /**
     * The summary lines ("# ...") at the head of the child's crash report, if it wrote one: the signal, the JVM and the
     * problematic frame (see {@link #readUntrusted}).
     */
    static Optional<String> readCrashReport(Path dir) {
        return readUntrusted(dir.resolve(CRASH_REPORT), 8192).flatMap(head -> {
            List<String> lines = new String(head, StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("# ") && l.length() > 2).map(l -> l.substring(2).strip())
                    .filter(l -> !l.isEmpty() && !l.startsWith("If you would like") && !l.startsWith("http"))
                    .limit(8).toList();
            return lines.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", lines));
        });
    }

    /** The child's side: writes events into the FIFO, one line each in one write (unbuffered). */
    static final class EventWriter {
        private final OutputStream out;

        EventWriter(Path dir) throws IOException {
            // Without CREATE: no FIFO (the test removed it) is an error here, not a file nobody reads.
            this.out = Files.newOutputStream(dir.resolve(EVENTS), StandardOpenOption.WRITE);
        }

        synchronized void write(ObjectNode event) {
            try {
                Json.writeLine(event, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static ObjectNode event(String type) {
        return Json.NODES.objectNode().put("type", type);
    }
}
