package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TestRegistry;

/** {@code @Sandboxed(image = ...)}: the container's root is the image, its config the defaults. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageTest {
    /** The umoci-made layout of the test registry, copied where a constant annotation value can name it. */
    static final Path LAYOUT = Path.of("target/busybox-layout");
    @TempDir
    static Path cache;

    @BeforeAll
    static void layout() throws Exception {
        Path source = TestRegistry.get().layout();
        if (!Files.exists(LAYOUT)) {
            TestRegistry.run("cp", "-a", source.toString(), LAYOUT.toString());
        }
        System.setProperty("sandboxed.image.cache", cache.toString());
    }

    @AfterAll
    static void restore() {
        System.clearProperty("sandboxed.image.cache");
    }

    @Test
    @Sandboxed(image = "oci:target/busybox-layout:busybox")
    void theContainerRunsInTheImage(Container container) {
        ExecResult r = container.exec("sh", "-c", "cat /work/greeting; pwd; id -u; echo $GREETING");
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("hello from the image\n/work\n999\nhi\n");
    }

    @Test
    void aPullIsReportedToTheTestsReporter(@TempDir Path freshCache) {
        String previous = System.getProperty("sandboxed.image.cache");
        System.setProperty("sandboxed.image.cache", freshCache.toString()); // a pull that fetches every layer
        try {
            EngineExecutionResults results = Kit.run(Pulls.class);
            Kit.succeeded(results, 2);
            List<String> entries = results.allEvents().reportingEntryPublished().stream()
                    .map(e -> e.getPayload(ReportEntry.class).orElseThrow().getKeyValuePairs())
                    .peek(kv -> assertThat(kv.keySet()).containsExactly("sandboxed.pull"))
                    .map(kv -> kv.get("sandboxed.pull")).toList();
            assertThat(entries).as("the first test pulls: the manifest, each layer, the end").hasSize(5);
            assertThat(entries.get(0)).startsWith("oci:/").contains("target/busybox-layout:busybox: 2 layers (");
            assertThat(entries.subList(1, entries.size() - 2)).allMatch(e -> e.contains(": extracted ("));
            assertThat(entries.get(entries.size() - 2)).contains("target/busybox-layout:busybox: done (");
            assertThat(entries.get(entries.size() - 1)).as("the second test: from the cache").endsWith(": already in the cache");
        } finally {
            System.setProperty("sandboxed.image.cache", previous);
        }
    }

    @Test
    @Sandboxed(image = "oci:target/busybox-layout:busybox", user = "0", writableLayer = "tmpfs:1m")
    void aSmallWritableLayerFillsUp(Container container) {
        assertThat(container.exec("sh", "-c", "dd if=/dev/zero of=/big bs=64k count=64 2>/dev/null && echo wrote"
                + " || echo full").stdout()).isEqualTo("full\n");
    }

    @Test
    @Sandboxed(image = "oci:target/busybox-layout:busybox", user = "0", writableLayer = "disk")
    void aDiskWritableLayerTakesMore(Container container) {
        assertThat(container.exec("sh", "-c", "dd if=/dev/zero of=/big bs=64k count=64 2>/dev/null && echo wrote"
                + " || echo full").stdout()).isEqualTo("wrote\n");
    }

    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Pulls {
        @Test
        @Order(1)
        @Sandboxed(image = "oci:target/busybox-layout:busybox")
        void first(Container container) {
        }

        @Test
        @Order(2)
        @Sandboxed(image = "oci:target/busybox-layout:busybox")
        void second(Container container) {
        }
    }

    @Test
    @Sandboxed(image = "oci:target/busybox-layout:busybox", user = "0", workdir = "/tmp")
    void attributesWinOverTheImage(Container container) {
        assertThat(container.exec("sh", "-c", "pwd; id -u").stdout()).isEqualTo("/tmp\n0\n");
    }
}
