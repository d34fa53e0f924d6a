package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

import dev.sandboxed.core.image.ImageException;

/**
 * A {@code docker save} tarball ({@code manifest.json} naming a config and layer tars by their path inside it). The
 * archive names no digests, so each file is hashed first and an OCI manifest made of those digests; the layers are
 * then verified again while they are extracted, so an archive changed in between is rejected.
 */
public final class DockerArchiveSource implements BlobSource, AutoCloseable {
    private final Path file;
    private final Optional<String> reference;
    private final TarFile tar;
    private final Map<String, TarArchiveEntry> entries = new HashMap<>();
    private final Map<String, TarArchiveEntry> byDigest = new HashMap<>();

    public DockerArchiveSource(Path file, Optional<String> reference) throws IOException {
        this.file = file;
        this.reference = reference;
        try {
            this.tar = new TarFile(file);
        } catch (NoSuchFileException e) {
            throw new ImageException(describe() + " does not exist");
        }
        for (TarArchiveEntry e : tar.getEntries()) {
            entries.put(LayerExtractor.components(e.getName(), "archive entry").stream().reduce((a, b) -> a + "/" + b)
                    .orElse(""), e);
        }
    }

    @Override
    public Fetched top() throws IOException {
        JsonNode images = Manifests.parse(read("manifest.json"), describe() + "/manifest.json");
        JsonNode chosen = null;
        for (JsonNode image : images) {
            boolean tagged = false;
            for (JsonNode tag : image.path("RepoTags")) {
                tagged |= reference.isPresent() && (tag.asText().equals(reference.get())
                        || tag.asText().equals("docker.io/" + reference.get()));
            }
            if (reference.isEmpty() ? images.size() == 1 : tagged) {
                chosen = image;
            }
        }
        if (chosen == null) {
            throw new ImageException(describe() + " holds " + images.size() + " images"
                    + reference.map(r -> ", none tagged " + r).orElse("; name one with docker-archive:PATH:NAME:TAG"));
        }
        ObjectNode manifest = Manifests.JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", Manifests.OCI_MANIFEST);
        manifest.set("config", descriptor(chosen.path("Config").asText(), "application/vnd.oci.image.config.v1+json"));
        for (JsonNode layer : chosen.path("Layers")) {
            manifest.withArray("layers").add(descriptor(layer.asText(), "application/vnd.oci.image.layer.v1.tar"));
        }
        byte[] data = Manifests.JSON.writeValueAsBytes(manifest);
        return new Fetched(data, Manifests.OCI_MANIFEST, VerifyingInputStream.sha256(data));
    }

    private ObjectNode descriptor(String name, String mediaType) throws IOException {
        TarArchiveEntry entry = entry(name);
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(tar.getInputStream(entry), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        String digest = "sha256:" + HexFormat.of().formatHex(sha256.digest());
        byDigest.put(digest, entry);
        return Manifests.JSON.createObjectNode().put("mediaType", mediaType).put("digest", digest).put("size", entry.getSize());
    }

    private TarArchiveEntry entry(String name) {
        TarArchiveEntry entry = entries.get(String.join("/", LayerExtractor.components(name, "archive member")));
        if (entry == null || !entry.isFile()) {
            throw new ImageException(describe() + " has no file " + name);
        }
        return entry;
    }

    private byte[] read(String name) throws IOException {
        try (InputStream in = tar.getInputStream(entry(name))) {
            return in.readNBytes(16 << 20);
        }
    }

    @Override
    public byte[] manifest(String digest) {
        throw new ImageException(describe() + ": an archive holds no index");
    }

    @Override
    public InputStream blob(String digest) throws IOException {
        TarArchiveEntry entry = byDigest.get(digest);
        if (entry == null) {
            throw new ImageException(describe() + " has no blob " + digest);
        }
        return tar.getInputStream(entry);
    }

    @Override
    public String describe() {
        return "docker-archive:" + file;
    }

    @Override
    public void close() throws IOException {
        tar.close();
    }

}
