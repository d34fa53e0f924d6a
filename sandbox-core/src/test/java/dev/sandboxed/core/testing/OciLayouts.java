package dev.sandboxed.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sandboxed.core.internal.image.Manifests;
import dev.sandboxed.core.internal.image.VerifyingInputStream;

/** Writes OCI image layouts with plain tar layers, for tests that need images of known sizes and shared layers. */
public final class OciLayouts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciLayouts() {
    }

    /** Adds an image tagged {@code tag} to the layout at {@code dir} (made if missing), its layers bottom first. */
    public static void add(Path dir, String tag, byte[]... layers) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Path indexFile = dir.resolve("index.json");
        if (!Files.exists(indexFile)) {
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            Files.writeString(indexFile, "{\"schemaVersion\":2,\"manifests\":[]}");
        }
        ObjectNode config = JSON.createObjectNode().put("os", "linux").put("architecture", "amd64");
        config.putObject("config").putArray("Env").add("PATH=/bin");
        ArrayNode diffIds = config.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", Manifests.OCI_MANIFEST);
        ArrayNode layerList = manifest.putArray("layers");
        for (byte[] layer : layers) {
            String digest = write(dir, layer);
            diffIds.add(digest);
            layerList.addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar").put("digest", digest)
                    .put("size", layer.length);
        }
        byte[] configBytes = JSON.writeValueAsBytes(config);
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", write(dir, configBytes)).put("size", configBytes.length);
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        ObjectNode index = (ObjectNode) JSON.readTree(Files.readAllBytes(indexFile));
        ObjectNode entry = ((ArrayNode) index.get("manifests")).addObject().put("mediaType", Manifests.OCI_MANIFEST)
                .put("digest", write(dir, manifestBytes)).put("size", manifestBytes.length);
        entry.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        Files.write(indexFile, JSON.writeValueAsBytes(index));
    }

    private static String write(Path dir, byte[] data) throws IOException {
        String digest = VerifyingInputStream.sha256(data);
        Files.write(dir.resolve("blobs/sha256").resolve(digest.substring(7)), data);
        return digest;
    }
}
