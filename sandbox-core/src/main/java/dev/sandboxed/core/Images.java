package dev.sandboxed.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageSource;
import dev.sandboxed.core.image.PruneResult;
import dev.sandboxed.core.image.PullListener;
import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.image.ImageStore;
import dev.sandboxed.core.internal.image.LayerExtractor;
import dev.sandboxed.core.internal.image.RegistryCredentials;
import dev.sandboxed.core.internal.runtime.InitBinary;
import dev.sandboxed.core.spec.Sizes;

/**
 * The user's image store: pull images from a registry ({@code [REGISTRY/]NAME[:TAG][@DIGEST]}) or an OCI layout
 * ({@code oci:PATH[:TAG]}) into the per-user cache, list, inspect and remove them. A pulled image is the root of a
 * sandbox with {@code SandboxSpec.builder().image(image)}:
 *
 * <pre>{@code
 * Image busybox = Images.defaults().pull("busybox:1.36");
 * ExecResult r = Sandbox.run(SandboxSpec.builder().image(busybox).build(), ProcessSpec.of("sh", "-c", "echo hi"));
 * }</pre>
 *
 * A source already in the cache is answered without any network request. The cache is
 * {@code sandboxed.image.cache}, else {@code $XDG_CACHE_HOME/sandboxed}, else {@code ~/.cache/sandboxed};
 * {@code sandboxed.image.insecure-registries} (comma-separated hosts) are reached over plain HTTP, as loopback
 * registries always are. {@code sandboxed.image.cache.max-size} bounds the cache: after each pull, the least
 * recently used images not in use are removed until it fits (see {@link #prune}).
 */
public final class Images {
    /** A bound ({@code 10g}, {@code 500m}) the cache is pruned to after each pull. */
    public static final String MAX_SIZE_PROPERTY = "sandboxed.image.cache.max-size";
    private static volatile Images defaults;
    private final ImageStore store;

    private Images(ImageStore store) {
        this.store = store;
    }

    /** The store of the default cache directory and Docker's credentials. */
    public static Images defaults() {
        // The directory is looked up each time: a changed sandboxed.image.cache gets a store of its own.
        Path directory = ImageCache.defaultDirectory().toAbsolutePath().normalize();
        Images d = defaults;
        if (d == null || !d.cacheDirectory().equals(directory)) {
            synchronized (Images.class) {
                if (defaults == null || !defaults.cacheDirectory().equals(directory)) {
                    defaults = builder().build();
                }
                d = defaults;
            }
        }
        return d;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path cacheDirectory() {
        return store.cache().root();
    }

    public Image pull(String source) {
        return pull(source, PullListener.NONE);
    }

    public Image pull(String source, PullListener listener) {
        return pull(ImageSource.parse(source), listener, false);
    }

    /** Pulls {@code source}; with {@code refresh}, asks the source again even when the cache has it (a moved tag). */
    public Image pull(ImageSource source, PullListener listener, boolean refresh) {
        try {
            return store.pull(source, listener, refresh);
        } catch (IOException e) {
            throw new UncheckedIOException("pull " + source.canonical() + ": " + e.getMessage(), e);
        }
    }

    public List<Image> list() {
        return store.list();
    }

    public Optional<Image> inspect(String source) {
        return store.inspect(ImageSource.parse(source).canonical());
    }

    /** Forgets a pulled source and deletes the layers no other image uses; false if it was not pulled. */
    public boolean remove(String source) {
        try {
            return store.remove(ImageSource.parse(source).canonical());
        } catch (IOException e) {
            throw new UncheckedIOException("remove " + source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the images no running sandbox (of any JVM) uses, least recently used first (last pulled, resolved or
     * started from), until the cache's layers and blobs take at most {@code maxBytes}, and every layer no image
     * references; {@code prune(0)} removes every image not in use. Waits for pulls in progress (in any JVM).
     */
    public PruneResult prune(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " is negative; expected 0 or more bytes");
        }
        try {
            return store.prune(maxBytes, Set.of(), null);
        } catch (IOException e) {
            throw new UncheckedIOException("prune the image cache " + cacheDirectory() + ": " + e.getMessage(), e);
        }
    }

    /** The bytes the cache's layers and blobs take on disk, each shared layer counted once. */
    public long cacheBytes() {
        try {
            return store.cacheBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("size the image cache " + cacheDirectory() + ": " + e.getMessage(), e);
        }
    }

    public static final class Builder {
        private Path cacheDirectory = ImageCache.defaultDirectory();
        private Path dockerConfig = RegistryCredentials.defaultDockerConfig();
        private final Map<String, String[]> credentials = new LinkedHashMap<>();
        private final Set<String> insecure = new LinkedHashSet<>();
        private long maxCacheBytes = -1;
        private String helperPath = System.getenv().getOrDefault("PATH", "");
        private Duration helperTimeout = Duration.ofSeconds(30);

        private Builder() {
            String list = System.getProperty("sandboxed.image.insecure-registries", "");
            Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(insecure::add);
            String max = System.getProperty(MAX_SIZE_PROPERTY, "");
            if (!max.isBlank()) {
                maxCacheBytes = Sizes.parseBytes(MAX_SIZE_PROPERTY, max);
            }
        }

        /**
         * After each pull that fetched something, prune the cache to {@code maxBytes} on a background thread
         * (the image just pulled is kept); default {@code sandboxed.image.cache.max-size}, else no bound.
         */
        public Builder maxCacheSize(long maxBytes) {
            if (maxBytes < 0) {
                throw new IllegalArgumentException("maxCacheSize: " + maxBytes + " is negative; expected 0 or more bytes");
            }
            this.maxCacheBytes = maxBytes;
            return this;
        }

        public Builder cacheDirectory(Path dir) {
            this.cacheDirectory = dir;
            return this;
        }

        /**
         * Docker's config.json to read {@code credHelpers}, {@code credsStore} and {@code auths} from (default
         * {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}).
         */
        public Builder dockerConfig(Path file) {
            this.dockerConfig = file;
            return this;
        }

        /**
         * Where Docker credential helpers ({@code docker-credential-NAME}, named by config.json's
         * {@code credHelpers} and {@code credsStore}) are looked for, as a PATH value; default this process's PATH.
         */
        public Builder credentialHelperPath(String path) {
            this.helperPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /** How long a credential helper may take to answer (default 30 s). */
        public Builder credentialHelperTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("credentialHelperTimeout: " + timeout + " is not positive");
            }
            this.helperTimeout = timeout;
            return this;
        }

        /** A user name and password for {@code registry} ({@code ghcr.io}, {@code localhost:5000}). */
        public Builder credentials(String registry, String user, String password) {
            credentials.put(registry, new String[] {user, password});
            return this;
        }

        /** A registry reached over plain HTTP although it is not on the loopback interface. */
        public Builder insecureRegistry(String registry) {
            insecure.add(registry);
            return this;
        }

        public Images build() {
            LayerExtractor extractor = LayerExtractor.forThisProcess(InitBinary::locate);
            return new Images(new ImageStore(new ImageCache(cacheDirectory, extractor.owners()),
                    new RegistryCredentials(credentials, dockerConfig, helperPath, helperTimeout), insecure, extractor,
                    maxCacheBytes));
        }
    }
}
