package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.image.ImageException;

/** An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/}). */
public final class OciLayoutSource implements BlobSource {
    private static final String REF_NAME = "org.opencontainers.image.ref.name";
    private final Path directory;
    private final Optional<String> tag;

    public OciLayoutSource(Path directory, Optional<String> tag) {
        this.directory = directory;
        this.tag = tag;
    }

    @Override
    public Fetched top() throws IOException {
        byte[] index;
        try {
            index = Files.readAllBytes(directory.resolve("index.json"));
        } catch (NoSuchFileException e) {
            throw new ImageException(describe() + " is not an OCI image layout: it has no index.json");
        }
        List<Manifests.Descriptor> entries = Manifests.descriptors(Manifests.parse(index, describe() + "/index.json")
                .path("manifests"));
        Manifests.Descriptor chosen;
        if (tag.isPresent()) {
            chosen = entries.stream().filter(d -> tag.get().equals(d.annotations().get(REF_NAME))).findFirst()
                    .orElseThrow(() -> new ImageException(describe() + " has no image tagged '" + tag.get() + "' (tags: "
                            + String.join(", ", entries.stream().map(d -> d.annotations().getOrDefault(REF_NAME, "?"))
                                    .toList()) + ")"));
        } else if (entries.size() == 1) {
            chosen = entries.get(0);
        } else {
            throw new ImageException(describe() + " holds " + entries.size() + " images; name one with oci:PATH:TAG");
        }
        byte[] data = VerifyingInputStream.verified(readBlob(chosen.digest()), chosen.digest(), "manifest");
        return new Fetched(data, chosen.mediaType(), chosen.digest());
    }

    @Override
    public byte[] manifest(String digest) throws IOException {
        return readBlob(digest);
    }

    @Override
    public InputStream blob(String digest) throws IOException {
        return Files.newInputStream(blobPath(digest), LinkOption.NOFOLLOW_LINKS);
    }

    private byte[] readBlob(String digest) throws IOException {
        try (InputStream in = blob(digest)) {
            return in.readNBytes(8 << 20);
        } catch (NoSuchFileException e) {
            throw new ImageException(describe() + " has no blob " + digest);
        }
    }

    private Path blobPath(String digest) {
        return directory.resolve("blobs/sha256").resolve(ImageCache.hex(digest));
    }

    @Override
    public String describe() {
        return "oci:" + directory;
    }
}
