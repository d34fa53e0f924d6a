package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
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

/** The Docker Hub token flow, basic auth, credentials from Docker's config.json, and a registry serving bad bytes. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RegistryAuthTest {
    @TempDir
    Path tmp;
    Path layout;

    @BeforeEach
    void setUp() {
        layout = TestRegistry.get().layout(); // the umoci-made layout (tools checked there)
    }

    private Images images(Path dockerConfig) {
        return Images.builder().cacheDirectory(tmp.resolve("cache")).dockerConfig(dockerConfig).build();
    }

    @Test
    void anonymousBearerTokenFromTheChallenge() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BEARER, null)) {
            Image image = images(tmp.resolve("none.json")).pull(registry.host() + "/test/busybox:busybox");
            assertThat(image.layers()).hasSize(2);
            assertThat(registry.tokenRequests).first().asString()
                    .contains("service=fake", "scope=repository%3Atest%2Fbusybox%3Apull");
        }
    }

    @Test
    void tokenEndpointWithCredentialsFromDockerConfig() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BEARER, "alice:s3cret")) {
            Path config = Files.writeString(tmp.resolve("config.json"), "{\"auths\":{\"" + registry.host()
                    + "\":{\"auth\":\"" + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8))
                    + "\"}}}");
            assertThat(images(config).pull(registry.host() + "/test/busybox:busybox").layers()).hasSize(2);
            Path wrong = Files.writeString(tmp.resolve("wrong.json"), "{\"auths\":{\"" + registry.host()
                    + "\":{\"username\":\"alice\",\"password\":\"nope\"}}}");
            assertThatThrownBy(() -> Images.builder().cacheDirectory(tmp.resolve("other")).dockerConfig(wrong).build()
                    .pull(registry.host() + "/test/busybox:busybox"))
                    .isInstanceOf(ImageException.class).hasMessageContaining("401").hasMessageContaining("bad credentials");
        }
    }

    @Test
    void basicAuthFromConfiguration() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BASIC, "bob:pw")) {
            assertThatThrownBy(() -> images(tmp.resolve("none.json")).pull(registry.host() + "/test/busybox:busybox"))
                    .isInstanceOf(ImageException.class).hasMessageContaining("asks for a user name and password");
            Image image = Images.builder().cacheDirectory(tmp.resolve("cache2")).dockerConfig(tmp.resolve("none.json"))
                    .credentials(registry.host(), "bob", "pw").build().pull(registry.host() + "/test/busybox:busybox");
            assertThat(image.layers()).hasSize(2);
        }
    }

    @Test
    void aLayerWithOtherBytesIsRejectedAndNothingKept() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(layout, Auth.BEARER, null)) {
            registry.corruptLayers(true);
            assertThatThrownBy(() -> images(tmp.resolve("none.json")).pull(registry.host() + "/test/busybox:busybox"))
                    .hasMessageContaining("rejected");
            try (var layers = Files.list(tmp.resolve("cache/layers/sha256"))) {
                assertThat(layers).isEmpty();
            }
            try (var images = Files.list(tmp.resolve("cache/images"))) {
                assertThat(images).isEmpty();
            }
        }
    }
}
