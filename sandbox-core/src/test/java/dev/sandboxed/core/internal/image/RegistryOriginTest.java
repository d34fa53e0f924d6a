package dev.sandboxed.core.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import org.junit.jupiter.api.Test;

/** Which requests carry a registry's credentials: those to its own scheme and authority, redirects included. */
class RegistryOriginTest {
    private static final URI REGISTRY = URI.create("https://registry.test:5000/v2/app");

    private static boolean carriesCredentials(String target) {
        return RegistryClient.sameOrigin(URI.create(target), REGISTRY);
    }

    @Test
    void theRegistrysOwnSchemeAndAuthority() {
        assertThat(carriesCredentials("https://registry.test:5000/v2/app/blobs/sha256:00")).isTrue();
        assertThat(carriesCredentials("HTTPS://registry.test:5000/v2/app/blobs/sha256:00")).isTrue();
    }

    @Test
    void noRedirectToPlainHttpOrAnotherPortOrHost() {
        assertThat(carriesCredentials("http://registry.test:5000/v2/app/blobs/sha256:00"))
                .as("https to plain http on the same host and port").isFalse();
        assertThat(carriesCredentials("https://registry.test:5001/v2/app/blobs/sha256:00")).isFalse();
        assertThat(carriesCredentials("https://storage.test/blobs/sha256:00")).isFalse();
    }
}
