package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test JVM checks what a sandboxed JVM says it published: names, paths and sizes are the child's to choose. */
class PublishedFilesTest {
    @Test
    void aFileComesBackAsWritten(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a.json"), "{}");
        PublishedFiles.Published p = PublishedFiles.decode(
                PublishedFiles.event(file, Optional.of("application/json"), new PublishedFiles.Budget()),
                new PublishedFiles.Budget());
        assertThat(p.name()).isEqualTo("a.json");
        assertThat(p.mediaType()).contains("application/json");
        assertThat(p.forwarded()).isTrue();
        assertThat(p.entries()).singleElement().satisfies(e -> assertThat(new String(e.bytes())).isEqualTo("{}"));
        assertThat(p.problems()).isEmpty();
    }

    @Test
    void aNameThatIsAPathIsRefused() {
        ObjectNode e = Wire.event("file").put("name", "../../etc/passwd").put("data", "");
        assertThatThrownBy(() -> PublishedFiles.decode(e, new PublishedFiles.Budget()))
                .hasMessage("a file published in the sandboxed JVM has the name '../../etc/passwd', which is not a file "
                        + "name; not forwarded");
    }

    @Test
    void directoryEntriesOutsideTheDirectoryAreLeftOut() {
        ObjectNode e = Wire.event("file").put("name", "tree").put("directory", true);
        String data = Base64.getEncoder().encodeToString("x".getBytes());
        e.putArray("entries").add(Wire.event("x").put("path", "../escape").put("data", data))
                .add(Wire.event("x").put("path", "/abs").put("data", data))
                .add(Wire.event("x").put("path", "ok/file").put("data", data));
        PublishedFiles.Published p = PublishedFiles.decode(e, new PublishedFiles.Budget());
        assertThat(p.entries()).singleElement().satisfies(x -> assertThat(x.path()).isEqualTo("ok/file"));
        assertThat(p.problems()).hasSize(2).allSatisfy(m -> assertThat(m).contains("is not a path inside the directory"));
    }

    @Test
    void theTestJvmKeepsTheCapsItself() {
        PublishedFiles.Budget budget = new PublishedFiles.Budget();
        String sixteen = Base64.getEncoder().encodeToString(new byte[PublishedFiles.MAX_FILE_BYTES]);
        for (int i = 0; i < 2; i++) {
            assertThat(PublishedFiles.decode(Wire.event("file").put("name", "f" + i).put("data", sixteen), budget)
                    .problems()).isEmpty();
        }
        PublishedFiles.Published third = PublishedFiles.decode(Wire.event("file").put("name", "f2").put("data", "AAAA"),
                budget);
        assertThat(third.forwarded()).isFalse();
        assertThat(third.problems()).containsExactly(
                "f2 (0.0 MiB) would bring the files published by the test over 32.0 MiB; not forwarded");
        String over = Base64.getEncoder().encodeToString(new byte[PublishedFiles.MAX_FILE_BYTES + 1]);
        assertThat(PublishedFiles.decode(Wire.event("file").put("name", "big").put("data", over),
                new PublishedFiles.Budget()).problems())
                .containsExactly("big is 16.0 MiB: larger than the 16.0 MiB a published file may be; not forwarded");
    }

    @Test
    void aDirectorysFilesTogetherStayWithinOneFilesSizeForTheyTravelInOneEvent(@TempDir Path dir) throws Exception {
        Path published = Files.createDirectory(dir.resolve("d"));
        Files.write(published.resolve("a"), new byte[12 << 20]);
        Files.write(published.resolve("b"), new byte[12 << 20]);
        ObjectNode e = PublishedFiles.event(published, Optional.empty(), new PublishedFiles.Budget());
        assertThat(e.path("entries")).hasSize(1);
        assertThat(e.path("problems")).singleElement().satisfies(p -> assertThat(p.asText())
                .matches("d/[ab] \\(12\\.0 MiB\\) would bring directory d over 16\\.0 MiB; not forwarded"));

        String twelve = Base64.getEncoder().encodeToString(new byte[12 << 20]);
        ObjectNode forged = Wire.event("file").put("name", "d").put("directory", true);
        forged.putArray("entries").add(Wire.event("x").put("path", "a").put("data", twelve))
                .add(Wire.event("x").put("path", "b").put("data", twelve));
        PublishedFiles.Published p = PublishedFiles.decode(forged, new PublishedFiles.Budget());
        assertThat(p.entries()).hasSize(1);
        assertThat(p.problems()).containsExactly("d/b (12.0 MiB) would bring directory d over 16.0 MiB; not forwarded");
    }
}
