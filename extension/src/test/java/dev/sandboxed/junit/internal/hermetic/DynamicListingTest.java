package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;

/** The listing a sandboxed JVM wrote, rebuilt in the parent: its nesting kept, and never a node inside itself. */
class DynamicListingTest {
    private static final String FACTORY = "[engine:junit-jupiter]/[class:T]/[test-factory:f()]";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode dynamic(String parentId, String uniqueId, String name, boolean container) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("type", "dynamic").put("parentId", parentId).put("uniqueId", uniqueId).put("displayName", name)
                .put("container", container);
        return n;
    }

    private static String describe(DynamicNode node) {
        if (node instanceof DynamicContainer) {
            return node.getDisplayName() + ((DynamicContainer) node).getChildren().map(DynamicListingTest::describe)
                    .collect(Collectors.joining(",", "[", "]"));
        }
        return node.getDisplayName();
    }

    @Test
    void theNestingIsRebuiltInTheListedOrder() {
        String box = FACTORY + "/[dynamic-container:#1]";
        List<JsonNode> events = List.of(dynamic(FACTORY, box, "box", true),
                dynamic(box, box + "/[dynamic-test:#1]", "inner", false),
                dynamic(FACTORY, FACTORY + "/[dynamic-test:#2]", "outer", false));
        assertThat(DynamicListing.nodes(events, FACTORY).map(DynamicListingTest::describe))
                .containsExactly("box[inner]", "outer");
    }

    @Test
    void aNodeListedUnderItselfOrOutsideItsParentIsDropped() {
        String box = FACTORY + "/[dynamic-container:#1]";
        List<JsonNode> events = List.of(dynamic(FACTORY, box, "box", true),
                dynamic(box, box, "itself", true), // would nest itself without end
                dynamic(box, FACTORY + "/[dynamic-test:#9]", "elsewhere", false),
                dynamic(box, box + "/[dynamic-test:#1]", "inner", false));
        assertThat(DynamicListing.nodes(events, FACTORY).map(DynamicListingTest::describe))
                .containsExactly("box[inner]");
    }
}
