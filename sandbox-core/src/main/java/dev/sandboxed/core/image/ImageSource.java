package dev.sandboxed.core.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an image comes from, in the transport names skopeo uses: a registry reference (no prefix, or
 * {@code docker://}), or {@code oci:PATH[:TAG]}, an OCI image layout directory.
 */
public sealed interface ImageSource {

    /** The canonical text of this source; the image store indexes pulled images by it. */
    String canonical();

    record Registry(ImageRef ref) implements ImageSource {
        @Override
        public String canonical() {
            return ref.toString();
        }
    }

    /** An OCI image layout directory ({@code index.json}, {@code blobs/}); without a tag, its only image. */
    record OciLayout(Path directory, Optional<String> tag) implements ImageSource {
        @Override
        public String canonical() {
            return "oci:" + directory + tag.map(t -> ":" + t).orElse("");
        }
    }

    /**
     * A {@code docker save} or {@code skopeo copy ... docker-archive:} tarball; {@code reference} picks one of its
     * images by its RepoTags entry when it holds several.
     */
    record DockerArchive(Path file, Optional<String> reference) implements ImageSource {
        @Override
        public String canonical() {
            return "docker-archive:" + file + reference.map(r -> ":" + r).orElse("");
        }
    }

    static ImageSource parse(String text) {
        if (text == null || text.isBlank()) {
            throw ImageException.badReference("reference", "is empty; expected [REGISTRY/]NAME[:TAG][@DIGEST] or oci:PATH[:TAG]");
        }
        if (text.startsWith("oci:")) {
            String rest = text.substring(4);
            Optional<String> tag = Optional.empty();
            int colon = rest.lastIndexOf(':');
            if (colon > rest.lastIndexOf('/')) {
                tag = Optional.of(rest.substring(colon + 1));
                rest = rest.substring(0, colon);
                if (tag.get().isEmpty()) {
                    throw ImageException.badReference("tag", "'" + text + "' ends with ':' but names no tag");
                }
            }
            if (rest.isEmpty()) {
                throw ImageException.badReference("path", "'" + text + "' names no OCI layout directory");
            }
            return new OciLayout(Path.of(rest).toAbsolutePath().normalize(), tag);
        }
        if (text.startsWith("docker-archive:")) {
            String rest = text.substring("docker-archive:".length());
            Optional<String> reference = Optional.empty();
            int colon = rest.indexOf(':');
            if (colon >= 0 && !Files.exists(Path.of(rest))) {
                reference = Optional.of(rest.substring(colon + 1));
                rest = rest.substring(0, colon);
            }
            if (rest.isEmpty()) {
                throw ImageException.badReference("path", "'" + text + "' names no archive");
            }
            return new DockerArchive(Path.of(rest).toAbsolutePath().normalize(), reference);
        }
        String ref = text.startsWith("docker://") ? text.substring("docker://".length()) : text;
        int colon = ref.indexOf(':');
        if (colon > 0 && ref.indexOf('/') > colon && !ref.substring(0, colon).contains(".") && !ref.startsWith("localhost")
                && !ref.substring(colon + 1, ref.indexOf('/')).chars().allMatch(Character::isDigit)) {
            throw ImageException.badReference("transport", "'" + ref.substring(0, colon)
                    + ":' is not a known transport; use a registry reference or oci:PATH[:TAG]");
        }
        return new Registry(ImageRef.parse(ref));
    }
}
