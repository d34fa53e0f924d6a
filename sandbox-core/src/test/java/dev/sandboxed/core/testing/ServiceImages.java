package dev.sandboxed.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sandboxed.core.internal.image.VerifyingInputStream;

/**
 * Service images for the readiness tests: tags in a copy of the test registry's busybox layout whose Entrypoint is
 * {@code /bin/sh -c}, whose Cmd is a script, run as root, and, when asked, with a HEALTHCHECK (which umoci cannot
 * set, so it is written into the config blob, and the manifest and index follow it).
 */
public final class ServiceImages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServiceImages() {
    }

    /** {@code dir}: a copy of the busybox layout, made once (tags added later stay). */
    public static Path layout(Path dir) throws IOException, InterruptedException {
        Path source = TestRegistry.get().layout();
        synchronized (ServiceImages.class) {
            if (!Files.exists(dir.resolve("index.json"))) {
                Files.createDirectories(dir.getParent());
                TestRegistry.run("cp", "-a", source.toString(), dir.toString());
            }
        }
        return dir;
    }

    /**
     * Tags {@code tag} in {@code layout}: Cmd {@code script}; {@code healthTest} (e.g. {@code CMD-SHELL, test -e /x})
     * with the given interval and retries when not empty.
     */
    public static synchronized void tag(Path layout, String tag, String script, List<String> healthTest,
                                        Duration interval, int retries) throws IOException, InterruptedException {
        TestRegistry.run("umoci", "config", "--image", layout + ":busybox", "--tag", tag,
                "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c", "--config.cmd", script,
                "--config.user", "0");
        if (healthTest.isEmpty()) {
            return;
        }
        ObjectNode index = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
        ObjectNode entry = null;
        for (JsonNode m : index.path("manifests")) {
            if (m.path("annotations").path("org.opencontainers.image.ref.name").asText().equals(tag)) {
                entry = (ObjectNode) m;
            }
        }
        if (entry == null) {
            throw new IOException("umoci made no tag " + tag + " in " + layout);
        }
        ObjectNode manifest = (ObjectNode) JSON.readTree(blob(layout, entry.path("digest").asText()));
        ObjectNode configRef = (ObjectNode) manifest.path("config");
        ObjectNode config = (ObjectNode) JSON.readTree(blob(layout, configRef.path("digest").asText()));
        ObjectNode health = ((ObjectNode) config.path("config")).putObject("Healthcheck");
        ArrayNode test = health.putArray("Test");
        healthTest.forEach(test::add);
        health.put("Interval", interval.toNanos()).put("Timeout", Duration.ofSeconds(5).toNanos()).put("Retries", retries);
        byte[] configBytes = JSON.writeValueAsBytes(config);
        configRef.put("digest", write(layout, configBytes)).put("size", configBytes.length);
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        entry.put("digest", write(layout, manifestBytes)).put("size", manifestBytes.length);
        Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index));
    }

    private static byte[] blob(Path layout, String digest) throws IOException {
        return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())));
    }

    private static String write(Path layout, byte[] data) throws IOException {
        String digest = VerifyingInputStream.sha256(data);
        Files.write(layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())), data);
        return digest;
    }
}
