package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/** The files a sandboxed JVM left in the shared directory: regular files only, no link followed, capped. */
class ReadUntrustedTest {
    private static final String LIST = "classes.lst"; // the class list a listing JVM writes (Cds)
    @TempDir
    Path dir;

    @Test
    void readsAtMostTheCapOfARegularFile() throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "0123456789");
        assertThat(Wire.readUntrusted(file, 4)).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8))
                .isEqualTo("0123"));
        assertThat(Wire.readUntrusted(dir.resolve("missing"), 4)).isEmpty();
    }

    @Test
    void aLinkOrAFifoInTheirPlaceIsNotRead() throws IOException, InterruptedException {
        Path host = Files.writeString(dir.resolve("host"), "# SIGSEGV\njava/lang/Object\n");
        Files.createSymbolicLink(dir.resolve(Wire.CRASH_REPORT), host);
        Files.createSymbolicLink(dir.resolve(LIST), host);
        assertThat(Wire.readCrashReport(dir)).isEmpty();
        assertThat(Cds.readList(dir)).isEmpty();
        Files.delete(dir.resolve(Wire.CRASH_REPORT));
        Files.delete(dir.resolve(LIST));
        // A FIFO without a writer would block the read for ever.
        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve(Wire.CRASH_REPORT).toString(),
                dir.resolve(LIST).toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();
        assertThat(Wire.readCrashReport(dir)).isEmpty();
        assertThat(Cds.readList(dir)).isEmpty();
    }
}
