package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

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
    @Sandboxed(image = "oci:target/busybox-layout:busybox", user = "0", workdir = "/tmp")
    void attributesWinOverTheImage(Container container) {
        assertThat(container.exec("sh", "-c", "pwd; id -u").stdout()).isEqualTo("/tmp\n0\n");
    }
}
