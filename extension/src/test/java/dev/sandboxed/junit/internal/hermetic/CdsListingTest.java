package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One JVM at a time lists its classes for the archive; one that ends without its test hands that on. */
class CdsListingTest {
    @Test
    void aListingJvmEndedUnusedLetsTheNextOneList(@TempDir Path dir) throws IOException {
        Path jar = Files.write(dir.resolve("app.jar"), new byte[] {'P', 'K', 5, 6});
        Cds cds = Cds.in(dir.resolve("archives"), List.of(jar.toString()));
        assertThat(cds.next().lists()).isTrue();
        assertThat(cds.next().lists()).as("while the first lists").isFalse();
        cds.abandonListing(); // closed unused, or its start failed
        assertThat(cds.next().lists()).as("else no archive for the rest of the run").isTrue();
    }
}
