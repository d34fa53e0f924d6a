package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * Plain HTTP or TLS: registries named as loopback ones (localhost, 127.0.0.0/8, ::1) are reached over plain HTTP,
 * every other name over TLS unless listed in {@code sandboxed.image.insecure-registries}. The other name here is this
 * machine's host name where it resolves to a loopback address: a second registry listens there, still on loopback.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RegistryTransportTest {
    private static final String PROPERTY = "sandboxed.image.insecure-registries";
    private static TestRegistry.Secured named;
    private static String name;
    private static String unnamed;
    private static InetAddress namedAddress;
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        TestRegistry registry = TestRegistry.get();
        String host = InetAddress.getLocalHost().getHostName();
        InetAddress[] addresses = loopbackOnly(host);
        if (addresses == null) {
            unnamed = "this machine's host name " + host + " does not resolve to loopback addresses only, so no"
                    + " name that is not a loopback one reaches a loopback registry";
            return;
        }
        namedAddress = addresses[0];
        named = registry.at(namedAddress);
        name = host + named.host().substring(named.host().lastIndexOf(':'));
    }

    /** The registry by a name that is not a loopback one, or the test is skipped saying why there is none. */
    private static String name() {
        Assumptions.assumeTrue(named != null, unnamed);
        return name;
    }

    private static String bareName() {
        return name().substring(0, name().lastIndexOf(':'));
    }

    @AfterAll
    static void stop() {
        if (named != null) {
            named.close();
        }
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(PROPERTY);
    }

    private static InetAddress[] loopbackOnly(String host) {
        if (host.equalsIgnoreCase("localhost") || host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return null;
        }
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            return Arrays.stream(all).allMatch(InetAddress::isLoopbackAddress) ? all : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private Images.Builder images() {
        return Images.builder().cacheDirectory(tmp.resolve("cache")).dockerConfig(tmp.resolve("none.json"))
                .credentialHelperPath("");
    }

    @Test
    void aLoopbackAddressIsReachedOverPlainHttp() {
        assertThat(images().build().pull(TestRegistry.get().host() + "/test/busybox:1").layers()).hasSize(2);
    }

    @Test
    void localhostInAnyCaseIsReachedOverPlainHttp() {
        String port = TestRegistry.get().host().substring(TestRegistry.get().host().lastIndexOf(':'));
        assertThat(images().build().pull("localhost" + port + "/test/busybox:1").layers()).hasSize(2);
        assertThat(images().build().pull("LOCALHOST" + port + "/test/busybox:1").layers()).hasSize(2);
    }

    @Test
    void anotherNameOfTheSameRegistryWantsTlsAndTheErrorNamesTheSetting() {
        assertThatThrownBy(() -> images().build().pull(name() + "/test/busybox:1"))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("registry " + name() + " cannot be reached (https): ")
                .hasMessageContaining("plain HTTP is used only for loopback registries and those in " + PROPERTY);
    }

    @Test
    void listedInTheSettingItIsReachedOverPlainHttp() {
        System.setProperty(PROPERTY, "other.example:5000, " + name());
        assertThat(images().build().pull(name() + "/test/busybox:1").layers()).hasSize(2);
    }

    @Test
    void listedThroughTheBuilderItIsReachedOverPlainHttp() {
        assertThat(images().insecureRegistry(name()).build().pull(name() + "/test/busybox:1").layers()).hasSize(2);
    }

    @Test
    void theSettingNamesHostAndPortExactly() {
        System.setProperty(PROPERTY, bareName());
        assertThatThrownBy(() -> images().build().pull(name() + "/test/busybox:1"))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("registry " + name() + " cannot be reached (https): ");
    }

    @Test
    void anUntrustedCertificateFailsNamingTheTrustStore() throws Exception {
        try (TestRegistry.Secured tls = TestRegistry.get().withTls(namedAddress, bareName())) {
            String tlsName = bareName() + tls.host().substring(tls.host().lastIndexOf(':'));
            assertThatThrownBy(() -> images().build().pull(tlsName + "/test/busybox:1"))
                    .isInstanceOf(ImageException.class)
                    .hasMessageStartingWith("registry " + tlsName + " cannot be reached (https): ")
                    .hasMessageContaining("PKIX path building failed")
                    .hasMessageContaining("add it or its CA to the JVM's trust store (-Djavax.net.ssl.trustStore=FILE)");
        }
    }
}
