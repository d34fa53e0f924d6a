package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.image.ImageSource;
import dev.sandboxed.core.image.PullListener;
import dev.sandboxed.core.image.PullListener.PullEvent;
import dev.sandboxed.core.image.PullListener.PullEvent.Kind;

/**
 * Pulls images into the {@link ImageCache} and reads them back. A source already pulled is answered from the cache
 * without any request (as {@code docker run} does; pull again with {@code refresh} to follow a moved tag). Each layer
 * is downloaded, verified and extracted in one pass, once per user: two JVMs pulling the same image wait for each
 * other's lock and the second finds the layers done.
 */
public final class ImageStore {
    private static final System.Logger LOG = System.getLogger(ImageStore.class.getName());
    private final ImageCache cache;
    private final RegistryCredentials credentials;
    private final Set<String> insecureRegistries;
    private final LayerExtractor extractor;

    public ImageStore(ImageCache cache, RegistryCredentials credentials, Set<String> insecureRegistries,
            LayerExtractor extractor) {
        this.cache = cache;
        this.credentials = credentials;
        this.insecureRegistries = Set.copyOf(insecureRegistries);
        this.extractor = extractor;
    }

    public ImageCache cache() {
        return cache;
    }

    public Image pull(ImageSource source, PullListener listener, boolean refresh) throws IOException {
        String name = source.canonical();
        if (!refresh) {
            Optional<Image> cached = inspect(name);
            if (cached.isPresent()) {
                listener.onEvent(new PullEvent(Kind.CACHED, name, cached.get().digest(), 0, 0));
                return cached.get();
            }
        }
        String lockKey = "pull-" + ImageCache.hex(VerifyingInputStream.sha256(name.getBytes(StandardCharsets.UTF_8)));
        return cache.locked(lockKey, () -> {
            if (!refresh) {
                Optional<Image> done = inspect(name); // another JVM finished it while this one waited
                if (done.isPresent()) {
                    listener.onEvent(new PullEvent(Kind.CACHED, name, done.get().digest(), 0, 0));
                    return done.get();
                }
            }
            if (source instanceof ImageSource.DockerArchive archive) {
                try (DockerArchiveSource blobs = new DockerArchiveSource(archive.file(), archive.reference())) {
                    return fetch(source, blobs, listener);
                }
            }
            return fetch(source, sourceOf(source), listener);
        });
    }

    private BlobSource sourceOf(ImageSource source) {
        if (source instanceof ImageSource.Registry r) {
            return new RegistryClient(r.ref(), credentials, insecureRegistries);
        }
        ImageSource.OciLayout layout = (ImageSource.OciLayout) source;
        return new OciLayoutSource(layout.directory(), layout.tag());
    }

    private Image fetch(ImageSource source, BlobSource blobs, PullListener listener) throws IOException {
        String name = source.canonical();
        BlobSource.Fetched top = blobs.top();
        JsonNode doc = Manifests.parse(top.data(), "manifest of " + name);
        String manifestDigest = top.digest();
        byte[] manifestBytes = top.data();
        if (Manifests.isIndex(doc, top.contentType())) {
            cache.putBlob(manifestDigest, manifestBytes);
            Manifests.Descriptor chosen = Manifests.select(Manifests.descriptors(doc.path("manifests")),
                    Manifests.hostPlatform(), name);
            manifestBytes = VerifyingInputStream.verified(blobs.manifest(chosen.digest()), chosen.digest(),
                    "manifest of " + name);
            manifestDigest = chosen.digest();
            doc = Manifests.parse(manifestBytes, "manifest of " + name);
            if (Manifests.isIndex(doc, chosen.mediaType())) {
                throw new ImageException(name + ": an index inside an index is not supported");
            }
        }
        Manifests.Manifest manifest = Manifests.manifest(doc);
        listener.onEvent(new PullEvent(Kind.RESOLVED, name, manifestDigest, 0, manifest.layers().size()));
        byte[] configBytes = cache.blob(manifest.config().digest()).orElse(null);
        if (configBytes == null) {
            try (InputStream in = blobs.blob(manifest.config().digest())) {
                configBytes = VerifyingInputStream.verified(in.readNBytes(16 << 20), manifest.config().digest(),
                        "config of " + name);
            }
        }
        JsonNode config = Manifests.parse(configBytes, "config of " + name);
        Manifests.config(config); // fails here, not at the first start, when the config is malformed
        long ownersDropped = 0;
        for (Manifests.Descriptor layer : manifest.layers()) {
            ownersDropped += pullLayer(name, blobs, layer, listener);
        }
        extractor.ownersWarning(name, ownersDropped).ifPresent(w -> LOG.log(System.Logger.Level.WARNING, w));
        cache.putBlob(manifest.config().digest(), configBytes);
        cache.putBlob(manifestDigest, manifestBytes);
        ObjectNode record = Manifests.JSON.createObjectNode();
        record.put("source", name);
        record.put("digest", manifestDigest);
        record.put("config", manifest.config().digest());
        record.put("platform", Manifests.platformOf(config));
        record.put("size", manifest.size());
        record.put("pulled", Instant.now().toString());
        manifest.layers().forEach(l -> record.withArray("layers").add(l.digest()));
        cache.writeAtomically(cache.indexFile(name), Manifests.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
        listener.onEvent(new PullEvent(Kind.DONE, name, manifestDigest, 0, 0));
        return load(record).orElseThrow(() -> new ImageException(name + ": pulled, but not found in the cache"));
    }

    /** Extracts a layer unless cached; returns how many of its files stay root's though the image owns them otherwise. */
    private long pullLayer(String name, BlobSource blobs, Manifests.Descriptor layer, PullListener listener)
            throws IOException {
        if (cache.hasLayer(layer.digest())) {
            listener.onEvent(new PullEvent(Kind.CACHED, name, layer.digest(), 0, layer.size()));
            return 0;
        }
        return cache.locked("layer-" + ImageCache.hex(layer.digest()), () -> {
            if (cache.hasLayer(layer.digest())) {
                listener.onEvent(new PullEvent(Kind.CACHED, name, layer.digest(), 0, layer.size()));
                return 0L;
            }
            LayerExtractor.Result result;
            Path work = cache.newWorkDirectory("layer");
            boolean done = false;
            try (InputStream raw = blobs.blob(layer.digest());
                    VerifyingInputStream verifying = new VerifyingInputStream(raw, layer.digest(), layer.size(),
                            "layer of " + name, n -> listener.onEvent(new PullEvent(Kind.PROGRESS, name, layer.digest(), n,
                                    layer.size())))) {
                try {
                    result = extractor.extract(LayerExtractor.decompressed(verifying), work);
                } catch (IOException | LayerException e) {
                    verifying.verify(); // other bytes than the manifest names: that, not their unpacking, is the error
                    throw e;
                }
                long bytes = verifying.verify();
                cache.commit(work, cache.layerDirectory(layer.digest()));
                done = true;
                listener.onEvent(new PullEvent(Kind.EXTRACTED, name, layer.digest(), bytes, layer.size()));
            } catch (LayerException e) {
                throw new ImageException(name + ": layer " + layer.digest() + " refused: " + e.getMessage(), e);
            } finally {
                if (!done && Files.exists(work)) {
                    cache.deleteTree(work);
                }
            }
            return result.ownersDropped();
        });
    }

    /** The image a source was pulled as, if it is in the cache with every layer. */
    public Optional<Image> inspect(String source) {
        try {
            return load(Manifests.parse(Files.readAllBytes(cache.indexFile(source)), "image record of " + source));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Optional<Image> load(JsonNode record) {
        List<Path> layers = new ArrayList<>();
        for (JsonNode digest : record.path("layers")) {
            if (!cache.hasLayer(digest.asText())) {
                return Optional.empty();
            }
            layers.add(cache.layerDirectory(digest.asText()));
        }
        Optional<byte[]> config = cache.blob(record.path("config").asText());
        if (config.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Image(record.path("source").asText(), record.path("digest").asText(),
                record.path("config").asText(), record.path("platform").asText(),
                Manifests.config(Manifests.parse(config.get(), "config")), layers, record.path("size").asLong()));
    }

    public List<Image> list() {
        List<Image> images = new ArrayList<>();
        for (JsonNode record : records()) {
            load(record).ifPresent(images::add);
        }
        images.sort(Comparator.comparing(Image::source));
        return images;
    }

    private List<JsonNode> records() {
        List<JsonNode> records = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(cache.imagesDirectory(), "*.json")) {
            for (Path file : files) {
                try {
                    records.add(Manifests.parse(Files.readAllBytes(file), file.toString()));
                } catch (NoSuchFileException e) {
                    // removed meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    /**
     * Forgets a source and removes the layers no other pulled image uses. A sandbox running from a removed layer
     * keeps it: overlayfs holds the directories it stacked.
     */
    public boolean remove(String source) throws IOException {
        Path index = cache.indexFile(source);
        if (!Files.exists(index)) {
            return false;
        }
        JsonNode record = Manifests.parse(Files.readAllBytes(index), index.toString());
        Files.deleteIfExists(index);
        Set<String> inUse = new HashSet<>();
        for (JsonNode other : records()) {
            other.path("layers").forEach(l -> inUse.add(l.asText()));
        }
        for (JsonNode layer : record.path("layers")) {
            String digest = layer.asText();
            if (!inUse.contains(digest)) {
                cache.locked("layer-" + ImageCache.hex(digest), () -> {
                    Path dir = cache.layerDirectory(digest);
                    if (Files.exists(dir)) {
                        // Out of sight first (one rename), then deleted: no pull ever sees half a layer.
                        Path doomed = cache.newWorkDirectory("removed");
                        Files.move(dir, doomed.resolve("layer"), StandardCopyOption.ATOMIC_MOVE);
                        cache.deleteTree(doomed);
                    }
                    return null;
                });
            }
        }
        return true;
    }
}
