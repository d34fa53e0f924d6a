package dev.sandboxed.core.internal.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;

/** The JSON object an operations message carries in its F_CONTROL_JSON field. */
final class ControlJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() { };

    private ControlJson() {
    }

    static Message encode(int kind, Map<String, Object> body) {
        try {
            return Message.of(kind).putString(Protocol.F_CONTROL_JSON, JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> decode(Message message) {
        if (message.kind() != Protocol.K_CONTROL_REQUEST && message.kind() != Protocol.K_CONTROL_REPLY) {
            throw new IllegalArgumentException("message kind " + message.kind() + " is not an operations message");
        }
        try {
            return JSON.readValue(message.string(Protocol.F_CONTROL_JSON, "{}"), OBJECT);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getMessage(), e);
        }
    }
}
