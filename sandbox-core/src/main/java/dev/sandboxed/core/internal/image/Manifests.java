package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.image.Healthcheck;
import dev.sandboxed.core.image.ImageConfig;
import dev.sandboxed.core.image.ImageException;

/** The JSON documents of an image: OCI and Docker v2 schema 2 manifests, indexes / manifest lists, the config. */
public final class Manifests {
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    /** What a registry is asked for, best first. */
    public static final String ACCEPT = String.join(", ", OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST);
    static final ObjectMapper JSON = new ObjectMapper();

    private Manifests() {}

    /** A content descriptor: what a manifest or index says about a blob. */
    public record Descriptor(String mediaType, String digest, long size, Map<String, String> platform,
            Map<String, String> annotations) {}

    /** An image manifest: its config and layers, bottom first. */
    public record Manifest(Descriptor config, List<Descriptor> layers) {
        public long size() {
            return layers.stream().mapToLong(Descriptor::size).sum();
        }
    }

    public static JsonNode parse(byte[] json, String what) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new ImageException(what + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Whether a manifest document is an index (or manifest list), from its media type or its shape. */
    public static boolean isIndex(JsonNode doc, String contentType) {
        String type = doc.path("mediaType").asText(contentType == null ? "" : contentType);
        if (type.contains("schema1") || doc.path("schemaVersion").asInt(2) == 1) {
            throw new ImageException("Docker schema 1 manifests are not supported (deprecated since 2017); push the "
                    + "image again with a current client");
        }
        return type.equals(OCI_INDEX) || type.equals(DOCKER_LIST) || (!doc.has("layers") && doc.has("manifests"));
    }

    public static List<Descriptor> descriptors(JsonNode array) {
        List<Descriptor> result = new ArrayList<>();
        for (JsonNode d : array) {
            String digest = d.path("digest").asText();
            if (!digest.matches("sha256:[a-f0-9]{64}")) {
                throw new ImageException("descriptor digest '" + digest + "' is not a sha256 digest");
            }
            result.add(new Descriptor(d.path("mediaType").asText(""), digest, d.path("size").asLong(-1),
                    strings(d.path("platform")), strings(d.path("annotations"))));
        }
        return result;
    }

    public static Manifest manifest(JsonNode doc) {
        if (!doc.has("config") || !doc.path("layers").isArray()) {
            throw new ImageException("the manifest has no config or layers");
        }
        Descriptor config = descriptors(JSON.createArrayNode().add(doc.get("config"))).get(0);
        List<Descriptor> layers = descriptors(doc.get("layers"));
        for (Descriptor layer : layers) {
            String t = layer.mediaType();
            if (!t.isEmpty() && !t.contains("tar") && !t.contains("layer")) {
                throw new ImageException("layer " + layer.digest() + " has media type " + t + ", not a tar layer");
            }
        }
        return new Manifest(config, layers);
    }

    /** This host's platform in OCI's words: {@code linux/amd64}, {@code linux/arm64/v8}. */
    public static String hostPlatform() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "linux/amd64";
            case "aarch64", "arm64" -> "linux/arm64/v8";
            case "arm" -> "linux/arm/v7";
            default -> "linux/" + arch;
        };
    }

    /** The index entry for {@code platform} ({@code os/arch[/variant]}), a missing variant matching any. */
    public static Descriptor select(List<Descriptor> manifests, String platform, String what) {
        String[] want = platform.split("/");
        Descriptor anyVariant = null;
        List<String> offered = new ArrayList<>();
        for (Descriptor d : manifests) {
            String os = d.platform().getOrDefault("os", "");
            String arch = d.platform().getOrDefault("architecture", "");
            String variant = d.platform().getOrDefault("variant", "");
            offered.add(os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant));
            if (!os.equals(want[0]) || !arch.equals(want[1])) {
                continue;
            }
            if (want.length < 3 || variant.equals(want[2])) {
                return d;
            }
            if (variant.isEmpty() && anyVariant == null) {
                anyVariant = d;
            }
        }
        if (anyVariant != null) {
            return anyVariant;
        }
        throw new ImageException(what + " has no image for this host's platform " + platform + " (it has "
                + String.join(", ", offered) + ")");
    }

    public static String platformOf(JsonNode config) {
        String variant = config.path("variant").asText("");
        return config.path("os").asText("linux") + "/" + config.path("architecture").asText("?")
                + (variant.isEmpty() ? "" : "/" + variant);
    }

    /** The runtime part of an image config ({@code config} of the OCI image configuration). */
    public static ImageConfig config(JsonNode doc) {
        JsonNode c = doc.path("config");
        Set<String> ports = new LinkedHashSet<>();
        c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        Optional<Healthcheck> health = Optional.empty();
        JsonNode h = c.path("Healthcheck");
        if (h.isObject()) {
            health = Optional.of(new Healthcheck(list(h.path("Test")), Duration.ofNanos(h.path("Interval").asLong(0)),
                    Duration.ofNanos(h.path("Timeout").asLong(0)), Duration.ofNanos(h.path("StartPeriod").asLong(0)),
                    h.path("Retries").asInt(0)));
        }
        return new ImageConfig(list(c.path("Entrypoint")), list(c.path("Cmd")), list(c.path("Env")),
                c.path("WorkingDir").asText(""), c.path("User").asText(""), ports, health,
                c.path("StopSignal").asText(""), strings(c.path("Labels")));
    }

    private static List<String> list(JsonNode array) {
        List<String> result = new ArrayList<>();
        if (array.isArray()) {
            array.forEach(n -> result.add(n.asText()));
        }
        return result;
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> result = new LinkedHashMap<>();
        if (object.isObject()) {
            object.fields().forEachRemaining(e -> result.put(e.getKey(), e.getValue().asText()));
        }
        return result;
    }
}
