package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Test
    void classPathOver128KiBIsDumpedToo(@TempDir Path dir) throws Exception {
        // Empty jars (a zip's end record only) with long names: one -cp argument over MAX_ARG_STRLEN fails with E2BIG.
        Path jars = Files.createDirectories(dir.resolve("jars"));
        List<String> classPath = new ArrayList<>();
        classPath.add(Path.of(ObjectMapper.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        byte[] emptyZip = new byte[22];
        emptyZip[0] = 'P';
        emptyZip[1] = 'K';
        emptyZip[2] = 5;
        emptyZip[3] = 6;
        for (int i = 0; classPath.stream().mapToInt(e -> e.length() + 1).sum() <= 128 << 10; i++) {
            classPath.add(Files.write(jars.resolve(String.format("a-jar-with-a-long-name-to-pad-the-class-path-%05d.jar", i)),
                    emptyZip).toString());
        }
        Cds cds = Cds.in(dir.resolve("archives"), classPath);
        assertThat(cds.next().lists()).isTrue();
        cds.create(List.of("java/lang/Object", "com/fasterxml/jackson/databind/ObjectMapper"));
        cds.close();
        assertThat(cds.archive()).hasValueSatisfying(a -> assertThat(a).isRegularFile());
    }
}
