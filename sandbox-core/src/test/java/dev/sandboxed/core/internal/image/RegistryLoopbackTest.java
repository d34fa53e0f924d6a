package dev.sandboxed.core.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which registries are loopback ones (plain HTTP allowed): decided from the text alone, never by a DNS answer. */
class RegistryLoopbackTest {
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "localhost:5000", "LOCALHOST:5000", "127.0.0.1", "127.0.0.1:5000",
            "127.200.3.4:80", "[::1]:5000", "[::1]"})
    void loopback(String registry) {
        assertThat(RegistryClient.isLoopback(registry)).isTrue();
    }

    /** Names are not resolved (DNS could point anything at 127.0.0.1), and mapped IPv6 forms are not read. */
    @ParameterizedTest
    @ValueSource(strings = {"[::ffff:127.0.0.1]:5000", "docker.io", "ghcr.io", "localhost.localdomain:5000", "localhost.example.com", "vm:5000",
            "myhost", "128.0.0.1:5000", "10.0.0.1", "192.0.2.2:5000", "[fd00::2]:5000", "[::2]:5000",
            "127.0.0.1.nip.io:5000", "0x7f000001:5000"})
    void notLoopback(String registry) {
        assertThat(RegistryClient.isLoopback(registry)).isFalse();
    }
}
