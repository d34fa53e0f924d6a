package dev.sandboxed.core.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCacheTest {
    @TempDir
    Path root;

    @Test
    void workOfADeadPullIsRemovedAndWorkOfALiveOneKept() throws IOException {
        ImageCache cache = new ImageCache(root);
        Path mine = cache.newWorkDirectory("layer");
        long dead = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1) + 100_000;
        Path abandoned = Files.createDirectories(root.resolve("tmp/" + dead + "-layer-123/usr/bin"));
        Files.writeString(abandoned.resolve("half-written"), "x");
        new ImageCache(root); // the next user of the cache
        assertThat(root.resolve("tmp/" + dead + "-layer-123")).doesNotExist();
        assertThat(mine).exists();
        assertThat(cache.hasLayer("sha256:" + "c".repeat(64))).isFalse();
    }

    @Test
    void commitIsAtomicAndTheFirstFinisherWins() throws IOException {
        ImageCache cache = new ImageCache(root);
        String digest = "sha256:" + "d".repeat(64);
        Path first = cache.newWorkDirectory("layer");
        Files.writeString(first.resolve("f"), "first");
        Path second = cache.newWorkDirectory("layer");
        Files.writeString(second.resolve("f"), "second");
        assertThat(cache.commit(first, cache.layerDirectory(digest))).isTrue();
        assertThat(cache.commit(second, cache.layerDirectory(digest))).isFalse();
        assertThat(Files.readString(cache.layerDirectory(digest).resolve("f"))).isEqualTo("first");
        assertThat(second).doesNotExist();
    }
}
