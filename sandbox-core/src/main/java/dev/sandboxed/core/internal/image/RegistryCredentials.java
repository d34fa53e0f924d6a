package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sandboxed.core.image.ImageException;

/**
 * User names and passwords per registry: given in configuration first, else from Docker's
 * {@code $DOCKER_CONFIG/config.json} (default {@code ~/.docker/config.json}), its {@code auths} entries ({@code auth}
 * as base64 of USER:PASSWORD, or {@code username} and {@code password}). Credential helpers are not run.
 */
public final class RegistryCredentials {
    private final Map<String, String[]> configured;
    private final Path dockerConfig;

    public RegistryCredentials(Map<String, String[]> configured, Path dockerConfig) {
        this.configured = new LinkedHashMap<>(configured);
        this.dockerConfig = dockerConfig;
    }

    public static Path defaultDockerConfig() {
        String dir = System.getenv("DOCKER_CONFIG");
        return dir != null && !dir.isBlank() ? Path.of(dir, "config.json")
                : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** USER and PASSWORD for {@code registry} (as an image reference spells it), if known. */
    public Optional<String[]> forRegistry(String registry) {
        if (configured.containsKey(registry)) {
            return Optional.of(configured.get(registry));
        }
        JsonNode auths;
        try {
            auths = Manifests.parse(Files.readAllBytes(dockerConfig), dockerConfig.toString()).path("auths");
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ImageException("read registry credentials from " + dockerConfig + ": " + e.getMessage());
        }
        List<String> keys = registry.equals("docker.io")
                ? List.of("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
                : List.of(registry, "https://" + registry, "http://" + registry, "https://" + registry + "/v2/");
        for (String key : keys) {
            JsonNode entry = auths.path(key);
            if (entry.has("auth")) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(entry.get("auth").asText()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new ImageException(dockerConfig + ": auths." + key + ".auth is not base64");
                }
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    throw new ImageException(dockerConfig + ": auths." + key + ".auth is not base64 of USER:PASSWORD");
                }
                return Optional.of(new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)});
            }
            if (entry.has("username") && entry.has("password")) {
                return Optional.of(new String[] {entry.get("username").asText(), entry.get("password").asText()});
            }
        }
        return Optional.empty();
    }
}
