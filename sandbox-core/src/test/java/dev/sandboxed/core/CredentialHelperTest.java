package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.testing.FakeRegistry;
import dev.sandboxed.core.testing.FakeRegistry.Auth;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * Docker credential helpers named by config.json ({@code credHelpers}, {@code credsStore}): small shell scripts
 * written here into a directory that is the helper PATH given to the store.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CredentialHelperTest {
    @TempDir
    Path tmp;
    Path bin;
    Path layout;

    @BeforeEach
    void setUp() throws IOException {
        layout = TestRegistry.get().layout();
        bin = Files.createDirectory(tmp.resolve("bin"));
    }

    /** A helper whose {@code get} records its stdin in NAME.asked and then runs {@code body} (POSIX sh). */
    private void helper(String name, String body) throws IOException {
        Path script = bin.resolve("docker-credential-" + name);
        Files.writeString(script, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r server\n"
                + "printf '%s' \"$server\" > '" + tmp.resolve(name + ".asked") + "'\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    }

    private Images images(String configJson) throws IOException {
        Path config = Files.writeString(tmp.resolve("config.json"), configJson);
        return Images.builder().cacheDirectory(tmp.resolve("cache-" + System.nanoTime())).dockerConfig(config)
                .credentialHelperPath(bin.toString()).credentialHelperTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void aPerRegistryHelperIsAskedWithTheRegistryOnStdin() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BASIC, "bob:pw")) {
            helper("fake", "printf '{\"ServerURL\":\"%s\",\"Username\":\"bob\",\"Secret\":\"pw\"}' \"$server\"");
            helper("other", "exit 1");
            Image image = images("{\"credsStore\":\"other\",\"credHelpers\":{\"" + registry.host() + "\":\"fake\"}}")
                    .pull(registry.host() + "/test/busybox:busybox");
            assertThat(image.layers()).hasSize(2);
            assertThat(tmp.resolve("fake.asked")).hasContent(registry.host());
            assertThat(tmp.resolve("other.asked")).as("credHelpers wins over credsStore").doesNotExist();
        }
    }

    @Test
    void theDefaultStoreIsUsedForOtherRegistriesAndItsTokenForTheTokenServer() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BEARER, "alice:s3cret")) {
            helper("store", "printf '{\"Username\":\"alice\",\"Secret\":\"s3cret\"}'");
            assertThat(images("{\"credsStore\":\"store\",\"auths\":{\"" + registry.host() + "\":{}}}")
                    .pull(registry.host() + "/test/busybox:busybox").layers()).hasSize(2);
            assertThat(tmp.resolve("store.asked")).hasContent(registry.host());
        }
    }

    @Test
    void anIdentityTokenIsExchangedAsARefreshToken() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BEARER, "nobody:never")) {
            registry.identityToken("refresh-me");
            helper("store", "printf '{\"Username\":\"<token>\",\"Secret\":\"refresh-me\"}'");
            assertThat(images("{\"credsStore\":\"store\"}").pull(registry.host() + "/test/busybox:busybox").layers())
                    .hasSize(2);
            assertThat(registry.tokenRequests).first().asString()
                    .startsWith("POST ").contains("grant_type=refresh_token", "refresh_token=refresh-me", "service=fake");
            registry.tokenRequests.clear();
            assertThat(images("{\"auths\":{\"" + registry.host() + "\":{\"identitytoken\":\"refresh-me\"}}}")
                    .pull(registry.host() + "/test/busybox:busybox").layers()).as("an identity token from auths").hasSize(2);
            assertThat(registry.tokenRequests).first().asString().startsWith("POST ").contains("refresh_token=refresh-me");
        }
    }

    @Test
    void aHelperWithNothingForTheRegistryMeansAnonymousThenTheAuthsEntry() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BASIC, "bob:pw")) {
            helper("empty", "echo 'credentials not found in native keychain'; exit 1");
            assertThatThrownBy(() -> images("{\"credsStore\":\"empty\"}").pull(registry.host() + "/test/busybox:busybox"))
                    .isInstanceOf(ImageException.class)
                    .hasMessageContaining("registry " + registry.host() + " answered 401")
                    .hasMessageContaining("docker login " + registry.host());
            assertThat(images("{\"credsStore\":\"empty\",\"auths\":{\"" + registry.host()
                    + "\":{\"username\":\"bob\",\"password\":\"pw\"}}}").pull(registry.host() + "/test/busybox:busybox")
                    .layers()).hasSize(2);
        }
    }

    @Test
    void aMissingFailingOrSilentHelperIsNamedInTheError() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BASIC, "bob:pw")) {
            String ref = registry.host() + "/test/busybox:busybox";
            assertThatThrownBy(() -> images("{\"credsStore\":\"nothere\"}").pull(ref))
                    .isInstanceOf(ImageException.class)
                    .hasMessageContaining("credential helper docker-credential-nothere (credsStore in ")
                    .hasMessageContaining("is not on PATH (" + bin + ")");
            helper("broken", "echo 'keychain locked' >&2; exit 3");
            assertThatThrownBy(() -> images("{\"credHelpers\":{\"" + registry.host() + "\":\"broken\"}}").pull(ref))
                    .isInstanceOf(ImageException.class)
                    .hasMessageContaining("docker-credential-broken (credHelpers." + registry.host())
                    .hasMessageContaining("exit status 3: keychain locked");
            helper("slow", "exec /bin/sleep 60");
            assertThatThrownBy(() -> images("{\"credsStore\":\"slow\"}").pull(ref))
                    .isInstanceOf(ImageException.class)
                    .hasMessageContaining("docker-credential-slow").hasMessageContaining("did not answer within 5 s");
            helper("garbage", "echo 'not json'");
            assertThatThrownBy(() -> images("{\"credsStore\":\"garbage\"}").pull(ref))
                    .isInstanceOf(ImageException.class)
                    .hasMessageContaining("docker-credential-garbage").hasMessageContaining("other than JSON");
        }
    }
}
