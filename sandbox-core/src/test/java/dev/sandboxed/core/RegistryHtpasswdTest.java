package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.testing.TestRegistry;

/** Basic auth against the real registry's htpasswd mode (a private registry's usual set-up). */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RegistryHtpasswdTest {
    private static final String USER = "tester";
    private static final String PASSWORD = "test-password-13";
    /**
     * bcrypt of {@link #PASSWORD} (cost 5), made once with Python's crypt module (METHOD_BLOWFISH), since neither
     * the JDK nor this machine's packages make bcrypt hashes; the registry accepts only bcrypt entries.
     */
    private static final String HTPASSWD = USER + ":$2b$05$45y8cvcxC60P9xsOThTOYumDyniqPiEWrx.n91FrqcIilAxi3omby\n";
    private static TestRegistry.Secured registry;
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.get().withHtpasswd(HTPASSWD);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private Images.Builder images() {
        return Images.builder().cacheDirectory(tmp.resolve("cache")).dockerConfig(tmp.resolve("none.json"))
                .credentialHelperPath("");
    }

    @Test
    void pullsWithCredentialsFromConfiguration() {
        assertThat(images().credentials(registry.host(), USER, PASSWORD).build().pull(registry.host() + "/test/busybox:1")
                .layers()).hasSize(2);
    }

    @Test
    void pullsWithCredentialsFromDockerConfig() throws Exception {
        Path config = Files.writeString(tmp.resolve("config.json"), "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)) + "\"}}}");
        assertThat(images().dockerConfig(config).build().pull(registry.host() + "/test/busybox:1").layers()).hasSize(2);
    }

    @Test
    void withoutCredentialsTheErrorNamesTheRegistryTheAnswerAndTheFix() {
        assertThatThrownBy(() -> images().build().pull(registry.host() + "/test/busybox:1"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("registry " + registry.host() + " answered 401")
                .hasMessageContaining("Basic realm=\"sandboxed-test\"")
                .hasMessageContaining("docker login " + registry.host());
    }

    @Test
    void aWrongPasswordIsTheRegistrysAnswer() {
        assertThatThrownBy(() -> images().credentials(registry.host(), USER, "wrong").build()
                .pull(registry.host() + "/test/busybox:1"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("registry " + registry.host() + " answered 401")
                .hasMessageContaining("UNAUTHORIZED")
                .hasMessageContaining("check the credentials (docker login " + registry.host() + ")");
    }
}
