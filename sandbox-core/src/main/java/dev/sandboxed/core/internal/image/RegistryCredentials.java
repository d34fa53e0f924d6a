package dev.sandboxed.core.internal.image;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sandboxed.core.image.ImageException;

/**
 * Credentials per registry, as Docker finds them: given in configuration first, else from Docker's
 * {@code $DOCKER_CONFIG/config.json} (default {@code ~/.docker/config.json}): the registry's credential helper
 * ({@code credHelpers}), else the default store ({@code credsStore}), else its {@code auths} entry ({@code auth} as
 * base64 of USER:PASSWORD, {@code username} and {@code password}, or {@code identitytoken}). A helper is
 * {@code docker-credential-NAME} found on the configured PATH, run as {@code docker-credential-NAME get} with the
 * registry on stdin; it answers {@code {"Username":..., "Secret":...}}, the user name {@code <token>} marking an
 * identity token (an OAuth2 refresh token for the registry's token server).
 */
public final class RegistryCredentials {
    /** What a helper prints when it has nothing for the registry; Docker then goes on anonymously. */
    private static final String NOT_FOUND = "credentials not found";
    private final Map<String, String[]> configured;
    private final Path dockerConfig;
    private final String helperPath;
    private final Duration helperTimeout;

    /** A user name and its password, or an identity token (a refresh token for the registry's token server). */
    public record Credential(String user, String secret, boolean identityToken) {
        @Override
        public String toString() {
            return "Credential[" + user + ", ***]";
        }
    }

    public RegistryCredentials(Map<String, String[]> configured, Path dockerConfig) {
        this(configured, dockerConfig, System.getenv().getOrDefault("PATH", ""), Duration.ofSeconds(30));
    }

    /** {@code helperPath}: where helpers are looked for (a PATH value); {@code helperTimeout}: how long one may run. */
    public RegistryCredentials(Map<String, String[]> configured, Path dockerConfig, String helperPath,
            Duration helperTimeout) {
        this.configured = new LinkedHashMap<>(configured);
        this.dockerConfig = dockerConfig;
        this.helperPath = helperPath;
        this.helperTimeout = helperTimeout;
    }

    public static Path defaultDockerConfig() {
        String dir = System.getenv("DOCKER_CONFIG");
        return dir != null && !dir.isBlank() ? Path.of(dir, "config.json")
                : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** The credential for {@code registry} (as an image reference spells it), if any. */
    public Optional<Credential> forRegistry(String registry) {
        if (configured.containsKey(registry)) {
            String[] c = configured.get(registry);
            return Optional.of(new Credential(c[0], c[1], false));
        }
        JsonNode config;
        try {
            config = Manifests.parse(Files.readAllBytes(dockerConfig), dockerConfig.toString());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ImageException("read registry credentials from " + dockerConfig + ": " + e.getMessage());
        }
        List<String> keys = registry.equals("docker.io")
                ? List.of("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
                : List.of(registry, "https://" + registry, "http://" + registry, "https://" + registry + "/v2/");
        for (String key : keys) {
            JsonNode helper = config.path("credHelpers").path(key);
            if (helper.isTextual() && !helper.asText().isEmpty()) {
                return fromHelper(helper.asText(), key, "credHelpers." + key);
            }
        }
        if (config.path("credsStore").isTextual() && !config.path("credsStore").asText().isEmpty()) {
            Optional<Credential> stored = fromHelper(config.path("credsStore").asText(), keys.get(0), "credsStore");
            if (stored.isPresent()) {
                return stored;
            }
        }
        JsonNode auths = config.path("auths");
        for (String key : keys) {
            JsonNode entry = auths.path(key);
            if (entry.has("identitytoken") && !entry.get("identitytoken").asText().isEmpty()) {
                return Optional.of(new Credential(entry.path("username").asText(""), entry.get("identitytoken").asText(),
                        true));
            }
            if (entry.has("auth") && !entry.get("auth").asText().isEmpty()) {
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
                return Optional.of(new Credential(decoded.substring(0, colon), decoded.substring(colon + 1), false));
            }
            if (entry.has("username") && entry.has("password")) {
                return Optional.of(new Credential(entry.get("username").asText(), entry.get("password").asText(), false));
            }
        }
        return Optional.empty();
    }

    /** Runs {@code docker-credential-NAME get} for {@code server}; empty when it has nothing for it. */
    private Optional<Credential> fromHelper(String name, String server, String setting) {
        String program = "docker-credential-" + name;
        String where = " (" + setting + " in " + dockerConfig + ")";
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new ImageException("credential helper name '" + name + "'" + where
                    + " is not a plain name; expected letters, digits, '.', '_' or '-'");
        }
        Path executable = find(program).orElseThrow(() -> new ImageException("credential helper " + program + where
                + " is not on PATH (" + helperPath + "); install it, or remove the setting to use the auths entries"));
        Process process;
        try {
            process = new ProcessBuilder(executable.toString(), "get").start();
        } catch (IOException e) {
            throw new ImageException("credential helper " + executable + where + " cannot be started: " + e.getMessage());
        }
        try {
            CompletableFuture<byte[]> stdout = readAsync(process.getInputStream());
            CompletableFuture<byte[]> stderr = readAsync(process.getErrorStream());
            try (OutputStream in = process.getOutputStream()) {
                in.write(server.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // it exited without reading; its status and output say why
            }
            if (!process.waitFor(helperTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ImageException("credential helper " + executable + where + " did not answer within "
                        + helperTimeout.toSeconds() + " s for " + server);
            }
            String out = new String(stdout.get(), StandardCharsets.UTF_8).strip();
            String err = new String(stderr.get(), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                if (out.contains(NOT_FOUND) || err.contains(NOT_FOUND)) {
                    return Optional.empty();
                }
                throw new ImageException("credential helper " + executable + where + " failed for " + server
                        + " with exit status " + process.exitValue() + ": " + firstLine(out.isEmpty() ? err : out));
            }
            JsonNode answer;
            try {
                answer = Manifests.JSON.readTree(out);
            } catch (IOException e) {
                throw new ImageException("credential helper " + executable + where + " answered something other than"
                        + " JSON for " + server + ": " + firstLine(out));
            }
            String user = answer.path("Username").asText("");
            String secret = answer.path("Secret").asText("");
            if (secret.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Credential(user, secret, user.equals("<token>")));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("interrupted while waiting for credential helper " + executable, e);
        } catch (ExecutionException e) {
            throw new ImageException("read the answer of credential helper " + executable + ": " + e.getCause());
        } finally {
            process.destroyForcibly();
        }
    }

    private Optional<Path> find(String program) {
        for (String dir : helperPath.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    private static CompletableFuture<byte[]> readAsync(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readNBytes(1 << 20);
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }

    private static String firstLine(String text) {
        String line = text.lines().findFirst().orElse("(no output)");
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
