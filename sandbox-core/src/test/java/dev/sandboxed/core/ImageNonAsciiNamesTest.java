package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TarBuilder;
import dev.sandboxed.core.testing.TestRegistry;

/**
 * A layer with a non-ASCII name owned by uid 999. Under a UTF-8 locale the file gets its owner (the owner records name
 * it in the bytes the JVM wrote). Under LANG=C a JVM cannot name such a file at all: the pull fails with the entry, the
 * JVM's file-name charset and the fix, and leaves no layer behind.
 */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageNonAsciiNamesTest {
    private static final String NAME = "data/caf\u00e9-\u00fc";
    @TempDir
    static Path work;
    static String source;

    @BeforeAll
    static void build() throws Exception {
        TestRegistry registry = TestRegistry.get();
        Path layout = work.resolve("layout");
        String base = layout + ":names";
        TestRegistry.run("umoci", "init", "--layout", layout.toString());
        TestRegistry.run("umoci", "new", "--image", base);
        TestRegistry.run("umoci", "insert", "--rootless", "--image", base, registry.work().resolve("rootfs").toString(), "/");
        byte[] tar = new TarBuilder().ownedDir("data", 0755, 0, 0).ownedFile(NAME, "x\n", 0640, 999, 999).build();
        TestRegistry.run("umoci", "raw", "add-layer", "--image", base, Files.write(work.resolve("names.tar"), tar).toString());
        source = "oci:" + layout + ":names";
    }

    @AfterAll
    static void removeImage() {
        Images.builder().cacheDirectory(work.resolve("cache")).build().remove(source);
    }

    @Test
    void aNonAsciiNameGetsItsOwnerUnderUtf8() {
        Image image = Images.builder().cacheDirectory(work.resolve("cache")).build().pull(source);
        ExecResult r = Sandbox.run(SandboxSpec.builder().image(image).user(UserSpec.ROOT).build(),
                ProcessSpec.of("/bin/sh", "-c", "stat -c '%u:%g %a' /" + NAME));
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("999:999 640\n");
    }

    @Test
    void underLangCThePullFailsWithTheFix() throws Exception {
        Path cache = work.resolve("cache-c");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Puller.class.getName(), cache.toString(), source));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("LC_ALL");
        env.remove("LC_CTYPE");
        env.put("LANG", "C");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(out).contains("jnu ANSI_X3.4-1968", "FAILED")
                .contains("cannot be named by this JVM, whose file names are US-ASCII").contains("LANG=C.UTF-8")
                .doesNotContain("PULLED");
        try (var layers = Files.list(cache.resolve("layers/sha256"))) {
            assertThat(layers.toList()).as("only the layer before it, complete").hasSizeLessThanOrEqualTo(1);
        }
        try (var left = Files.list(cache.resolve("tmp"))) {
            assertThat(left.filter(f -> !f.getFileName().toString().endsWith(".owner")).toList())
                    .as("no work left; only the lock files that say which processes run").isEmpty();
        }
    }

    /** The child JVM: pulls args[1] into the cache args[0] and says how it went. */
    public static final class Puller {
        private Puller() {
        }

        public static void main(String[] args) {
            System.out.println("jnu " + System.getProperty("sun.jnu.encoding"));
            try {
                Images.builder().cacheDirectory(Path.of(args[0])).build().pull(args[1]);
                System.out.println("PULLED");
            } catch (RuntimeException e) {
                System.out.println("FAILED " + e.getMessage());
            }
        }
    }
}
