package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.image.ImageSource;
import dev.sandboxed.core.image.PruneResult;
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
    /**
     * Held shared by pulls (so no removal takes a layer a pull has not recorded yet) and by starts that take an image's
     * use lock, alone by removals (prune, rm).
     */
    static final String STORE_LOCK = "store";
    private static final System.Logger LOG = System.getLogger(ImageStore.class.getName());
    private final ImageCache cache;
    private final RegistryCredentials credentials;
    private final Set<String> insecureRegistries;
    private final LayerExtractor extractor;
    private final long maxCacheBytes;

    /** {@code maxCacheBytes}: the bound a prune after each pull applies, or -1 for none. */
    public ImageStore(ImageCache cache, RegistryCredentials credentials, Set<String> insecureRegistries,
            LayerExtractor extractor, long maxCacheBytes) {
        this.cache = cache;
        this.maxCacheBytes = maxCacheBytes;
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
                ImageUse.touch(cache.indexFile(name));
                listener.onEvent(new PullEvent(Kind.CACHED, name, cached.get().digest(), 0, 0));
                return cached.get();
            }
        }
        String lockKey = "pull-" + ImageCache.hex(VerifyingInputStream.sha256(name.getBytes(StandardCharsets.UTF_8)));
        Image image = cache.shared(STORE_LOCK, () -> cache.locked(lockKey, () -> {
            if (!refresh) {
                Optional<Image> done = inspect(name); // another JVM finished it while this one waited
                if (done.isPresent()) {
                    ImageUse.touch(cache.indexFile(name));
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
        }));
        if (maxCacheBytes >= 0) {
            pruneInBackground(image);
        }
        return image;
    }

    /** The configured bound, applied after a pull on a thread of its own; the image just pulled is kept. */
    private void pruneInBackground(Image pulled) {
        FileTime requested = FileTime.fromMillis(System.currentTimeMillis() - 1000);
        Thread t = new Thread(() -> {
            try {
                // Images pulled or used since (by a later pull of this JVM, say) stay too: they are the newest.
                PruneResult r = prune(maxCacheBytes, Set.of(pulled.digest()), requested);
                if (!r.removedImages().isEmpty() || r.reclaimedBytes() > 0) {
                    LOG.log(System.Logger.Level.INFO, "image cache " + cache.root() + " over " + maxCacheBytes
                            + " bytes: removed " + r.removedImages() + ", " + r.reclaimedBytes() + " bytes freed");
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "image cache " + cache.root() + ": prune after a pull failed: "
                        + e.getMessage());
            }
        }, "sandboxed-image-prune");
        t.setDaemon(true);
        t.start();
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
        return new ArrayList<>(recordFiles().values());
    }

    private Map<Path, JsonNode> recordFiles() {
        Map<Path, JsonNode> records = new LinkedHashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(cache.imagesDirectory(), "*.json")) {
            for (Path file : files) {
                try {
                    records.put(file, Manifests.parse(Files.readAllBytes(file), file.toString()));
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
     * Forgets a source and removes the layers no other pulled image uses; layers a running sandbox (of any JVM) uses
     * stay until a later prune finds them unused.
     */
    public boolean remove(String source) throws IOException {
        return cache.exclusive(STORE_LOCK, () -> {
            Path index = cache.indexFile(source);
            if (!Files.exists(index)) {
                return false;
            }
            try (ImageUse.Scan scan = ImageUse.scan(cache.root())) {
                Files.deleteIfExists(index);
                removeUnused(scan.inUse, Set.of(), new ArrayList<>());
            }
            return true;
        });
    }

    /**
     * Removes the images not in use, least recently used first (by their records' modification times, which pulls
     * and sandbox starts set), until the layers and blobs the cache holds take at most {@code maxBytes}; and
     * always the layers and blobs no image references. Images a running sandbox (of any JVM) uses, those in {@code keep}
     * and, unless it is null, those used at or after {@code usedSince} stay.
     */
    public PruneResult prune(long maxBytes, Set<String> keep, FileTime usedSince) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " is negative; expected 0 or more bytes");
        }
        return cache.exclusive(STORE_LOCK, () -> {
            try (ImageUse.Scan scan = ImageUse.scan(cache.root())) {
                List<String> removedImages = new ArrayList<>();
                List<String> removedLayers = new ArrayList<>();
                long freed = removeUnused(scan.inUse, keep, removedLayers);
                long total = cacheBytes();
                List<Map.Entry<Path, JsonNode>> candidates = new ArrayList<>();
                for (Map.Entry<Path, JsonNode> r : recordFiles().entrySet()) {
                    String digest = r.getValue().path("digest").asText();
                    boolean recent = usedSince != null && lastUse(r.getKey()).compareTo(usedSince) >= 0;
                    if (!scan.inUse.contains(digest) && !keep.contains(digest) && !recent) {
                        candidates.add(r);
                    }
                }
                candidates.sort(Comparator.comparing(e -> lastUse(e.getKey())));
                for (Map.Entry<Path, JsonNode> victim : candidates) {
                    if (total <= maxBytes) {
                        break;
                    }
                    Files.deleteIfExists(victim.getKey());
                    removedImages.add(victim.getValue().path("source").asText());
                    long more = removeUnused(scan.inUse, keep, removedLayers);
                    freed += more;
                    total -= more;
                }
                return new PruneResult(removedImages, removedLayers, freed, total);
            }
        });
    }

    private static FileTime lastUse(Path record) {
        try {
            return Files.getLastModifiedTime(record);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /**
     * Deletes the layers and blobs that no record, no image in use and no digest in {@code keep} references;
     * returns the bytes freed, adding the layers' digests to {@code removed}.
     */
    private long removeUnused(Set<String> inUse, Set<String> keep, List<String> removed) throws IOException {
        Set<String> layers = new HashSet<>();
        Set<String> blobs = new HashSet<>();
        for (JsonNode record : recordFiles().values()) {
            record.path("layers").forEach(l -> layers.add(l.asText()));
            blobs.add(record.path("digest").asText());
            blobs.add(record.path("config").asText());
        }
        Set<String> manifests = new HashSet<>(inUse);
        manifests.addAll(keep);
        for (String digest : manifests) {
            blobs.add(digest);
            Optional<byte[]> manifest = cache.blob(digest);
            if (manifest.isPresent()) { // the layers of a sandbox that runs from an image pulled again since
                Manifests.Manifest m = Manifests.manifest(Manifests.parse(manifest.get(), "manifest " + digest));
                m.layers().forEach(l -> layers.add(l.digest()));
                blobs.add(m.config().digest());
            }
        }
        long freed = 0;
        for (String digest : entries(cache.root().resolve("layers/sha256"))) {
            if (!layers.contains(digest)) {
                long bytes = treeBytes(cache.layerDirectory(digest));
                cache.locked("layer-" + ImageCache.hex(digest), () -> {
                    cache.retire(cache.layerDirectory(digest));
                    return null;
                });
                removed.add(digest);
                freed += bytes;
            }
        }
        for (String digest : entries(cache.root().resolve("blobs/sha256"))) {
            if (!blobs.contains(digest)) {
                Path blob = cache.root().resolve("blobs/sha256").resolve(ImageCache.hex(digest));
                long bytes = treeBytes(blob);
                if (Files.deleteIfExists(blob)) {
                    freed += bytes;
                }
            }
        }
        return freed;
    }

    /** The bytes of the layers and blobs in the cache (each layer once, however many images share it). */
    public long cacheBytes() throws IOException {
        long total = 0;
        for (String digest : entries(cache.root().resolve("layers/sha256"))) {
            total += treeBytes(cache.layerDirectory(digest));
        }
        for (String digest : entries(cache.root().resolve("blobs/sha256"))) {
            total += treeBytes(cache.root().resolve("blobs/sha256").resolve(ImageCache.hex(digest)));
        }
        return total;
    }

    /** The digests of a {@code sha256} directory's entries (skipping anything else found there). */
    private static List<String> entries(Path dir) throws IOException {
        List<String> digests = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                String name = e.getFileName().toString();
                if (name.matches("[a-f0-9]{64}")) {
                    digests.add("sha256:" + name);
                }
            }
        }
        return digests;
    }

    /** The bytes of a file or of the files in a tree, not following links; parts that cannot be read count 0. */
    static long treeBytes(Path tree) throws IOException {
        long[] total = {0};
        Files.walkFileTree(tree, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += attrs.isRegularFile() ? attrs.size() : 0;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // gone meanwhile, or not readable (owned by another id)
            }
        });
        return total[0];
    }
}
