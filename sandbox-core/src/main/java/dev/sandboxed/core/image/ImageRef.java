package dev.sandboxed.core.image;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A registry image reference in Docker's conventions: {@code [REGISTRY/]NAME[:TAG][@DIGEST]}. Without a registry
 * the image is on Docker Hub ({@code docker.io}), where a one-part name is an official image
 * ({@code busybox} is {@code docker.io/library/busybox}); without a tag or digest the tag is {@code latest}. The
 * first part is a registry when it has a dot or a port, or is {@code localhost} ({@code localhost:5000/app},
 * {@code ghcr.io/org/app}).
 */
public final class ImageRef {
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])"
                    + "(?::[0-9]{1,5})?");

    private final String registry;
    private final String repository;
    private final String tag;
    private final String digest;

    private ImageRef(String registry, String repository, String tag, String digest) {
        this.registry = registry;
        this.repository = repository;
        this.tag = tag;
        this.digest = digest;
    }

    public static ImageRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw ImageException.badReference("reference", "is empty; expected [REGISTRY/]NAME[:TAG][@DIGEST]");
        }
        if (!text.equals(text.strip()) || text.chars().anyMatch(c -> c <= ' ')) {
            throw ImageException.badReference("reference", "'" + text + "' contains white space or control characters");
        }
        String rest = text;
        int at = rest.indexOf('@');
        String digest = at < 0 ? null : checked(rest.substring(at + 1), DIGEST, "digest", text,
                "is not sha256: followed by 64 lower-case hex digits");
        rest = at < 0 ? rest : rest.substring(0, at);
        int colon = rest.lastIndexOf(':');
        boolean tagged = colon > rest.lastIndexOf('/');
        String tag = !tagged ? null : checked(rest.substring(colon + 1), TAG, "tag", text,
                "is not a tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
        rest = tagged ? rest.substring(0, colon) : rest;
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")
                    || !first.equals(first.toLowerCase(Locale.ROOT))) {
                if (!HOST.matcher(first).matches()) {
                    throw ImageException.badReference("registry", "'" + first + "' in '" + text
                            + "' is not a host name with an optional :PORT");
                }
                registry = first.equals("index.docker.io") || first.equals("registry-1.docker.io") ? DOCKER_HUB : first;
                rest = rest.substring(slash + 1);
            }
        }
        if (rest.isEmpty()) {
            throw ImageException.badReference("name", "'" + text + "' has no image name");
        }
        for (String component : rest.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw ImageException.badReference("name", "'" + rest + "' in '" + text + "' is not a repository name: "
                        + "lower-case letters and digits separated by '/', '.', '_', '__' or '-'");
            }
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        if (registry.length() + 1 + rest.length() > 255) {
            throw ImageException.badReference("name", "'" + text + "' is longer than 255 characters");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageRef(registry, rest, tag, digest);
    }

    private static String checked(String value, Pattern pattern, String field, String text, String problem) {
        if (!pattern.matcher(value).matches()) {
            throw ImageException.badReference(field, "'" + value + "' in '" + text + "' " + problem);
        }
        return value;
    }

    /** The registry host (and port): {@code docker.io}, {@code ghcr.io}, {@code localhost:5000}. */
    public String registry() {
        return registry;
    }

    /** The repository inside the registry: {@code library/busybox}. */
    public String repository() {
        return repository;
    }

    public Optional<String> tag() {
        return Optional.ofNullable(tag);
    }

    public Optional<String> digest() {
        return Optional.ofNullable(digest);
    }

    /** What to ask the registry's manifest endpoint for: the digest when there is one, else the tag. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** The same repository pinned to a digest (the tag kept for display). */
    public ImageRef withDigest(String manifestDigest) {
        return parse(registry + "/" + repository + (tag != null ? ":" + tag : "") + "@" + manifestDigest);
    }

    /** The fully qualified form: {@code docker.io/library/busybox:latest}. */
    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageRef other && toString().equals(other.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
