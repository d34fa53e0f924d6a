package dev.sandboxed.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.SpecException;

/**
 * {@code --hooks FILE}: the {@code hooks} object of an OCI config.json ({@code {"prestart": [{"path": ...,
 * "args": [...], "env": [...], "timeout": SECONDS}], ...}}), or a whole config.json that has one.
 */
final class OciHooksFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciHooksFile() {
    }

    static List<Hook> read(String file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(Path.of(file)));
        } catch (IOException e) {
            throw new SpecException("hooks", "cannot read '" + file + "': " + e.getMessage());
        }
        if (root != null && root.has("ociVersion") && root.has("hooks")) {
            root = root.get("hooks"); // a whole config.json
        }
        if (root == null || !root.isObject()) {
            throw new SpecException("hooks", "'" + file + "' holds no JSON object; expected an OCI hooks object such"
                    + " as {\"poststop\": [{\"path\": \"/usr/bin/cleanup\"}]}");
        }
        List<Hook> hooks = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> stage = it.next();
            Hook.Stage s = Hook.Stage.parse("hooks", stage.getKey());
            if (!stage.getValue().isArray()) {
                throw new SpecException("hooks." + stage.getKey(), "is not an array of hooks");
            }
            for (JsonNode h : stage.getValue()) {
                hooks.add(hook(s, h));
            }
        }
        return hooks;
    }

    private static Hook hook(Hook.Stage stage, JsonNode h) {
        String field = "hooks." + stage.ociName();
        if (!h.isObject() || !h.path("path").isTextual()) {
            throw new SpecException(field + ".path", "missing; each hook needs an absolute \"path\"");
        }
        Duration timeout = Hook.DEFAULT_TIMEOUT;
        if (h.has("timeout")) {
            if (!h.get("timeout").isInt() || h.get("timeout").asInt() < 1) {
                throw new SpecException(field + ".timeout", h.get("timeout") + " is not a whole number of seconds"
                        + " greater than zero");
            }
            timeout = Duration.ofSeconds(h.get("timeout").asInt());
        }
        return new Hook(stage, h.get("path").asText(), strings(field + ".args", h.get("args")),
                strings(field + ".env", h.get("env")), timeout);
    }

    private static List<String> strings(String field, JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new SpecException(field, "is not an array of strings");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode v : node) {
            if (!v.isTextual()) {
                throw new SpecException(field, v + " is not a string");
            }
            values.add(v.asText());
        }
        return values;
    }
}
