package dev.sandboxed.junit.internal.hermetic;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * A test factory's dynamic tests as a sandboxed JVM listed them ({@code dynamic} events), rebuilt here with the same
 * names and nesting, so that they get the same unique ids here as there. Their executables never run here: each
 * dynamic test runs in its own sandboxed JVM, which runs the factory again and selects it by its unique id.
 */
public final class DynamicListing {
    private DynamicListing() {
    }

    /**
     * The nodes directly under {@code factoryId}, each container with its own, in the order they were listed. The
     * sandboxed JVM wrote the events: a node is taken only under a parent whose unique id its own extends (as JUnit's
     * do, by a segment), so no listing can nest a node in itself and expand without end.
     */
    public static Stream<DynamicNode> nodes(List<JsonNode> events, String factoryId) {
        Map<String, List<JsonNode>> children = new LinkedHashMap<>();
        for (JsonNode e : events) {
            String parentId = e.path("parentId").asText();
            if (e.path("type").asText().equals("dynamic") && e.path("uniqueId").asText().startsWith(parentId + "/")) {
                children.computeIfAbsent(parentId, k -> new ArrayList<>()).add(e);
            }
        }
        return under(children, factoryId);
    }

    /** Its source URI (so an IDE finds the code), or null: written by the sandboxed JVM, so a bad one is dropped. */
    private static URI source(JsonNode n) {
        if (!n.hasNonNull("source")) {
            return null;
        }
        try {
            return new URI(n.get("source").asText());
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static Stream<DynamicNode> under(Map<String, List<JsonNode>> children, String parentId) {
        return children.getOrDefault(parentId, List.of()).stream().map(n -> {
            String name = n.path("displayName").asText();
            URI source = source(n);
            if (n.path("container").asBoolean()) {
                return DynamicContainer.dynamicContainer(name, source, under(children, n.path("uniqueId").asText()));
            }
            return DynamicTest.dynamicTest(name, source, () -> {
                throw new IllegalStateException("the dynamic test '" + name + "' runs in a sandboxed JVM, not here");
            });
        });
    }
}
