package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.TestRegistry;

/**
 * A pull that fails fails the test with the reference, the registry's answer and the fix. The registries are the
 * real test registry served again at fixed loopback addresses, since an annotation can only name a constant.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ImagePullFailureTest {
    /** A loopback address no other test uses, so the fixed ports do not meet other servers. */
    static final String ADDRESS = "127.13.13.13";
    static final String OPEN = ADDRESS + ":5013";
    static final String LOCKED = ADDRESS + ":5014";
    static final String MISSING = OPEN + "/test/no-such-image:1";
    static final String PRIVATE = LOCKED + "/test/busybox:1";
    /** bcrypt of a password the test never sends (see RegistryHtpasswdTest). */
    private static final String HTPASSWD = "tester:$2b$05$45y8cvcxC60P9xsOThTOYumDyniqPiEWrx.n91FrqcIilAxi3omby\n";
    private static TestRegistry.Secured open;
    private static TestRegistry.Secured locked;
    private static String previousCache;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        TestRegistry registry = TestRegistry.get();
        InetAddress address = InetAddress.getByName(ADDRESS);
        open = registry.at(address, 5013);
        locked = registry.withHtpasswd(HTPASSWD, address, 5014);
        previousCache = System.getProperty("sandboxed.image.cache");
        System.setProperty("sandboxed.image.cache", tmp.resolve("cache").toString());
    }

    @AfterAll
    static void stop() {
        if (previousCache == null) {
            System.clearProperty("sandboxed.image.cache");
        } else {
            System.setProperty("sandboxed.image.cache", previousCache);
        }
        if (open != null) {
            open.close();
        }
        if (locked != null) {
            locked.close();
        }
    }

    @Test
    void aMissingImageFailsTheTestWithTheReferenceTheAnswerAndTheFix() {
        Throwable failure = Kit.onlyFailure(Kit.run(Missing.class));
        assertThat(failure).hasMessageContaining(MISSING)
                .hasMessageContaining("registry " + OPEN + " answered 404")
                .hasMessageContaining("MANIFEST_UNKNOWN")
                .hasMessageContaining("check the name and tag");
    }

    @Test
    void aRegistryWantingCredentialsFailsTheTestSayingHowToGiveThem() {
        Throwable failure = Kit.onlyFailure(Kit.run(Private.class));
        assertThat(failure).hasMessageContaining(PRIVATE)
                .hasMessageContaining("registry " + LOCKED + " answered 401")
                .hasMessageContaining("Basic realm=\"sandboxed-test\"")
                .hasMessageContaining("docker login " + LOCKED)
                .hasMessageContaining("credentials are read from Docker's config.json");
    }

    static class Missing {
        @Test
        @Sandboxed(image = MISSING)
        void test(Container container) {
        }
    }

    static class Private {
        @Test
        @Sandboxed(image = PRIVATE)
        void test(Container container) {
        }
    }
}
