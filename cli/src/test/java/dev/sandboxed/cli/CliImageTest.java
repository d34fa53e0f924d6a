package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.Images;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TestRegistry;

/** {@code sandboxed pull}, {@code images} and {@code run --image} against the test registry. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CliImageTest {
    @TempDir
    static Path cache;
    static String ref;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void useATemporaryCache() {
        ref = TestRegistry.get().host() + "/test/busybox:1";
        System.setProperty("sandboxed.image.cache", cache.toString());
    }

    @AfterAll
    static void restore() {
        System.clearProperty("sandboxed.image.cache");
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void pullThenList() {
        assertThat(run("pull", ref)).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith(ref + "@sha256:");
        assertThat(err.toString(StandardCharsets.UTF_8).lines()).as("progress, one line per layer (no terminal here)")
                .filteredOn(l -> l.startsWith("pull " + ref + ": layer sha256:")).hasSize(2)
                .allMatch(l -> l.matches(".* [0-9.]+ MiB done \\((cached|downloaded in [0-9.]+ s)\\)"));
        assertThat(run("images", "--digests")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(ref, "linux/", "sha256:");
    }

    @Test
    void runAnImageLikeDockerRun() {
        assertThat(run("run", "--image", ref)).as(err.toString(StandardCharsets.UTF_8)).isZero();
        // CMD replaces the image's Cmd and keeps its Entrypoint (/bin/sh -c).
        assertThat(run("run", "--image", ref, "--", "exit 3")).isEqualTo(3);
        assertThat(run("run", "--image", ref, "--", "test \"$GREETING:$(pwd):$(id -u)\" = hi:/work:999")).isZero();
        assertThat(run("run", "--image", ref, "--user", "0", "--workdir", "/tmp", "--", "test $(pwd):$(id -u) = /tmp:0"))
                .isZero();
        assertThat(run("run", "--image", ref, "--entrypoint", "/bin/false")).isEqualTo(1);
        assertThat(run("run", "--image", ref, "--entrypoint", "/bin/sh", "--", "-c", "exit 4")).isEqualTo(4);
    }

    @Test
    void pruneRemovesWhatNoSandboxOfThisJvmUsesAndSaysWhatItFreed() {
        String other = TestRegistry.get().host() + "/test/busybox:zstd"; // other layers, never started here
        assertThat(run("pull", other)).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(run("pull", ref)).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(run("images", "prune", "--max-size", "lots")).isEqualTo(125);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--max-size", "'lots' is not a size").hasLineCount(1);
        // A sandbox running from ref (as a test of another JVM would have) keeps it.
        try (Sandbox running = Sandbox.start(SandboxSpec.builder().image(Images.defaults().pull(ref)).build())) {
            assertThat(running.exec("/bin/true").succeeded()).isTrue();
            assertThat(run("images", "prune")).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("removed " + other, "deleted layer sha256:",
                    "Total reclaimed space: ").doesNotContain("removed " + ref);
            assertThat(run("images")).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains(ref).doesNotContain(other);
        }
    }

    @Test
    void publishAllTakesTheImagesExposedPortsAndExposedHostPortsHaveTheirName() {
        assertThat(run("run", "--image", ref, "--publish-all", "--", "true")).as(err.toString(StandardCharsets.UTF_8))
                .isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).containsPattern("published 127\\.0\\.0\\.1:\\d+ -> 8080/tcp");
        assertThat(run("run", "--image", ref, "--expose-host-port", "9090", "--",
                "grep -x '127.0.0.2\thost.sandboxed.internal' /etc/hosts")).isZero();
        assertThat(run("run", "--image", ref, "--", "grep -q host.sandboxed.internal /etc/hosts")).isEqualTo(1);
    }

    @Test
    void badReferencesAndMissingImagesAreOneLine() {
        assertThat(run("run", "--image", "busybox:-bad", "--", "true")).isEqualTo(125);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("sandboxed: image.tag: ").hasLineCount(1);
        assertThat(run("pull", TestRegistry.get().host() + "/test/missing:1")).isEqualTo(125);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("404", "test/missing").hasLineCount(1);
    }
}
