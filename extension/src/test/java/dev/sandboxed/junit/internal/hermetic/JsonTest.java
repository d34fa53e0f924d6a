package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The protocol's JSON as the sandboxed JVM writes and reads it, without databind's mapper. */
class JsonTest {
    @Test
    void anEventIsWrittenByteForByteAsTheMapperWouldWriteIt() throws IOException {
        ObjectNode event = Json.NODES.objectNode().put("type", "finished").put("text", "\"quoted\" \\ \u0001 tab\t é 日本 \uD83D\uDE00")
                .put("int", 7).put("long", Long.MIN_VALUE).put("short", (short) -3).put("double", 0.1).put("float", 0.1f)
                .put("nan", Double.NaN).put("yes", true).put("no", false)
                .put("big", new BigInteger("123456789012345678901234567890")).put("decimal", new BigDecimal("1.50"))
                .put("binary", new byte[] {0, 1, (byte) 0xff}).putNull("none");
        event.putArray("frames").add(1).addObject().put("class", "C").putArray("empty");
        event.putObject("nested").putObject("deeper").put("k", "v");

        byte[] expected = new ObjectMapper().writeValueAsBytes(event);
        byte[] line = Json.line(event);
        java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        Json.writeLine(event, written);
        assertThat(written.toByteArray()).isEqualTo(line);
        assertThat(line).endsWith('\n');
        assertThat(new String(Arrays.copyOf(line, line.length - 1), StandardCharsets.UTF_8))
                .isEqualTo(new String(expected, StandardCharsets.UTF_8));
    }

    @Test
    void aRequestReadsBackAsTheTestJvmWroteIt() throws IOException {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("junit.jupiter.displayname.generator.default", "a \"quoted\" é value\nwith a newline");
        config.put("empty", "");
        Map<String, String> positional = new LinkedHashMap<>();
        positional.put("[engine:junit-jupiter]/[class:a.B]/[test-template:t()]/[test-template-invocation:#2]", "[2] x, 日本");
        positional.put("[engine:junit-jupiter]/[class:a.B]/[test-factory:f()]/[dynamic-test:#1]", "{\"json\"}");
        Wire.Request request = new Wire.Request("[engine:junit-jupiter]/[class:a.B]/[test-template:t()]/[test-template-invocation:#2]",
                "[2] x, 日本", false, config, positional);

        Wire.Request back = Wire.Request.parse(new String(Json.line(request.toJson()), StandardCharsets.UTF_8));
        assertThat(back).isEqualTo(request);
        assertThat(back.positional()).containsExactlyEntriesOf(positional);
        Wire.Request listing = new Wire.Request("[engine:junit-jupiter]/[class:a.B]/[test-factory:f()]", "f()", true, Map.of());
        assertThat(Wire.Request.parse(new String(Json.line(listing.toJson()), StandardCharsets.UTF_8))).isEqualTo(listing);
    }

    @Test
    void aMalformedRequestIsRefused() {
        assertThatThrownBy(() -> Wire.Request.parse("[\"uniqueId\"]")).isInstanceOf(IOException.class)
                .hasMessageContaining("malformed request");
        assertThatThrownBy(() -> Wire.Request.parse("{\"configuration\":[1]}")).isInstanceOf(IOException.class)
                .hasMessageContaining("malformed request");
        assertThatThrownBy(() -> Wire.Request.parse("{\"uniqueId\":\"x\"")).isInstanceOf(IOException.class);
    }
}
