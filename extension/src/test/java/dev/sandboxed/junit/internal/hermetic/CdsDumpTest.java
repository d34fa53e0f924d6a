package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive is dumped off the caller's thread (a test's, under its timeout) and waited for when the run ends. */
class CdsDumpTest {
    @Test
    void dumpRunsOnItsOwnThreadAndCloseWaitsForIt(@TempDir Path dir) throws Exception {
        String jar = Path.of(ObjectMapper.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Cds cds = Cds.in(dir, List.of(jar));
        assertThat(cds.next().lists()).isTrue();
        // An interrupted caller (a test's timeout interrupts it) would end a dump made on its own thread at once.
        Thread.currentThread().interrupt();
        try {
            cds.create(List.of("java/lang/Object", "com/fasterxml/jackson/databind/ObjectMapper"));
        } finally {
            assertThat(Thread.interrupted()).as("the caller's interrupt left alone").isTrue();
        }
        assertThat(cds.next().lists()).as("no second listing while the dump runs or after it").isFalse();
        cds.close();
        assertThat(cds.archive()).hasValueSatisfying(a -> assertThat(a).isRegularFile());
        assertThat(cds.next().options()).contains("-XX:SharedArchiveFile=" + cds.archive().orElseThrow());
        try (var files = Files.list(dir)) {
            assertThat(files).as("the dump's own files removed").containsExactly(cds.archive().orElseThrow());
        }
    }
}
