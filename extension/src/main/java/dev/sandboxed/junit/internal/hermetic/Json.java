package dev.sandboxed.junit.internal.hermetic;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The protocol's JSON. The sandboxed JVM builds its events as Jackson trees ({@link #NODES}) and writes them, and reads
 * its request, with Jackson's streaming API alone: databind's {@code ObjectMapper} is never set up there, because its
 * first use (its serializers, some 800 classes) costs a booting JVM about 85 ms of CPU time, a fifth of a trivial
 * test's JVM. The test JVM reads the events with the mapper ({@link #readTree}), made on its first use there.
 */
final class Json {
    /** Strings as long as an event line may be: Jackson's default (20 million characters) is below a 16 MiB file in base64. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(EventPipe.MAX_LINE).build()).build();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    /** {@code tree} as one line of JSON, newline included. */
    static byte[] line(JsonNode tree) {
        return buffered(tree).toByteArray();
    }

    /**
     * Writes {@code tree} as one line into {@code out} in a single write, from the buffer it was written into (no copy
     * of it: a published file's line may be 22 MB).
     */
    static void writeLine(JsonNode tree, OutputStream out) throws IOException {
        buffered(tree).writeTo(out);
    }

    private static ByteArrayOutputStream buffered(JsonNode tree) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(tree, g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not from memory
        }
        out.write('\n');
        return out;
    }

    /** Writes {@code n} as the mapper would: numbers keep their kind, binary data is base64. */
    static void write(JsonNode n, JsonGenerator g) throws IOException {
        switch (n.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> field = it.next();
                    g.writeFieldName(field.getKey());
                    write(field.getValue(), g);
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode element : n) {
                    write(element, g);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(n.textValue());
            case BOOLEAN -> g.writeBoolean(n.booleanValue());
            case NUMBER -> number(n, g);
            case BINARY -> g.writeBinary(n.binaryValue());
            case NULL, MISSING -> g.writeNull();
            case POJO -> throw new IllegalArgumentException("no POJO is sent in the protocol: " + n.getClass().getName());
        }
    }

    private static void number(JsonNode n, JsonGenerator g) throws IOException {
        if (n.isInt() || n.isLong() || n.isShort()) {
            g.writeNumber(n.longValue());
        } else if (n.isBigInteger()) {
            g.writeNumber(n.bigIntegerValue());
        } else if (n.isBigDecimal()) {
            g.writeNumber(n.decimalValue());
        } else if (n.isFloat()) {
            g.writeNumber(n.floatValue());
        } else {
            g.writeNumber(n.doubleValue());
        }
    }

    /** The test JVM's side: an event line as a tree (null when empty), with databind's mapper. */
    static JsonNode readTree(byte[] line) throws IOException {
        return Mapper.MAPPER.readTree(line);
    }

    /** The test JVM's side: {@link #readTree} of a string. */
    static JsonNode readTree(String line) throws IOException {
        return Mapper.MAPPER.readTree(line);
    }

    /** Made on first use, which only the test JVM makes. */
    private static final class Mapper {
        static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);
    }
}
