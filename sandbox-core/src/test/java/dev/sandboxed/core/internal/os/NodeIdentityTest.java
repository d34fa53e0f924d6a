package dev.sandboxed.core.internal.os;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file's identity tells a file made again at the same path apart, also where its inode number comes back. */
class NodeIdentityTest {

    @Test
    void aDirectoryDeletedAndMadeAgainIsAnotherNode(@TempDir Path tmp) throws IOException {
        // On ext4 (this project's CI) the new directory gets the old one's inode number every time.
        Path dir = tmp.resolve("data");
        for (int i = 0; i < 20; i++) {
            Files.createDirectory(dir);
            Optional<Object> before = NodeIdentity.of(dir);
            Files.delete(dir);
            Files.createDirectory(dir);
            assertThat(NodeIdentity.of(dir)).isPresent().isNotEqualTo(before);
            Files.delete(dir);
        }
    }

    @Test
    void aFileReplacedByAnotherIsAnotherNode(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("config"), "first");
        Optional<Object> before = NodeIdentity.of(file);
        Files.delete(file);
        Files.writeString(file, "second");
        assertThat(NodeIdentity.of(file)).isPresent().isNotEqualTo(before);
    }

    @Test
    void theSameNodeHasTheSameIdentityAlsoThroughALink(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("data"));
        Files.writeString(dir.resolve("inside"), "x"); // what changes inside does not change the directory's identity
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        assertThat(NodeIdentity.of(dir)).isPresent().isEqualTo(NodeIdentity.of(dir)).isEqualTo(NodeIdentity.of(link));
        assertThat(NodeIdentity.of(tmp.resolve("missing"))).isEmpty();
    }
}
