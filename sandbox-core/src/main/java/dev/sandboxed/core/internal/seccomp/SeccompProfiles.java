package dev.sandboxed.core.internal.seccomp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.sandboxed.core.spec.SpecException;

/**
 * Finds seccomp profiles by name: the built-in {@value #DEFAULT}, {@value #DOCKER_DEFAULT} and
 * {@value #UNCONFINED}, or the path of a Docker/OCI JSON profile file. Parsed files are cached
 * until they change.
 */
public final class SeccompProfiles {
    /** Docker's default profile plus the hardening described in {@link DefaultProfile}. */
    public static final String DEFAULT = "default";
    /** Docker's default profile exactly as Docker ships it. */
    public static final String DOCKER_DEFAULT = "docker-default";
    /** No filter. */
    public static final String UNCONFINED = "unconfined";
    static final List<String> BUILT_IN = List.of(DEFAULT, DOCKER_DEFAULT, UNCONFINED);

    private static final String DOCKER_RESOURCE = "docker-default.json";
    private static volatile OciProfile dockerProfile;
    private static volatile DefaultProfile defaultProfile;
    private static final Map<Path, CachedFile> FILES = new ConcurrentHashMap<>();

    private record CachedFile(FileTime modified, long size, OciProfile profile) {
    }

    private SeccompProfiles() {
    }

    /** Whether {@code nameOrPath} names a built-in profile rather than a file. */
    public static boolean isBuiltIn(String nameOrPath) {
        return BUILT_IN.contains(nameOrPath);
    }

    /**
     * A built-in profile by name, or else a profile file by path.
     *
     * @throws SpecException if there is no such built-in profile and no such file, or the file is invalid
     */
    public static SeccompProfile named(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new SpecException("seccomp", "profile name is empty; allowed: " + BUILT_IN + " or a path to a JSON profile");
        }
        switch (nameOrPath) {
            case DEFAULT: return builtInDefault();
            case DOCKER_DEFAULT: return dockerDefault();
            case UNCONFINED: return unconfined();
            default: return fromFile(Path.of(nameOrPath));
        }
    }

    public static SeccompProfile builtInDefault() {
        DefaultProfile profile = defaultProfile;
        if (profile == null) {
            profile = new DefaultProfile(dockerDefault());
            defaultProfile = profile;
        }
        return profile;
    }

    public static OciProfile dockerDefault() {
        OciProfile profile = dockerProfile;
        if (profile == null) {
            try (InputStream in = SeccompProfiles.class.getResourceAsStream(DOCKER_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + DOCKER_RESOURCE + " is missing from the class path");
                }
                profile = OciProfileParser.parse("built-in " + DOCKER_RESOURCE, in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            dockerProfile = profile;
        }
        return profile;
    }

    public static SeccompProfile unconfined() {
        return UnconfinedProfile.INSTANCE;
    }

    /** A Docker/OCI profile file; re-read only when its size or modification time changes. */
    public static OciProfile fromFile(Path file) {
        Path key = file.toAbsolutePath().normalize();
        FileTime modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(key);
            size = Files.size(key);
        } catch (IOException e) {
            return OciProfileParser.parse(key); // reports the missing or unreadable file
        }
        CachedFile cached = FILES.get(key);
        if (cached != null && cached.modified().equals(modified) && cached.size() == size) {
            return cached.profile();
        }
        OciProfile profile = OciProfileParser.parse(key);
        FILES.put(key, new CachedFile(modified, size, profile));
        return profile;
    }
}
