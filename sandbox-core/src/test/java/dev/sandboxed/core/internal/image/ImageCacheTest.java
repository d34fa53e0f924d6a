package dev.sandboxed.core.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.OtherProcessLock;

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

    /**
     * A cache shared with a process in another pid namespace (a container on a shared volume): its pid means nothing
     * here, so its work stays while the lock it holds says it runs, and goes once it has ended.
     */
    @SuppressWarnings("try") // the lock being held is the act under test
    @Test
    void workOfAnotherPidNamespaceStaysWhileItsOwnerRuns() throws Exception {
        new ImageCache(root);
        String owner = "4194304.5eed"; // above any pid_max: no process of this namespace has it
        Path work = Files.createDirectories(root.resolve("tmp/" + owner + "-layer-1/usr"));
        Files.writeString(work.resolve("half-written"), "x");
        Path lock = root.resolve("tmp/" + owner + ".owner");
        try (OtherProcessLock running = OtherProcessLock.hold(lock)) {
            new ImageCache(root); // the next user of the cache
            assertThat(work.resolve("half-written")).as("work of a process that still runs").exists();
        }
        new ImageCache(root);
        assertThat(root.resolve("tmp/" + owner + "-layer-1")).as("its owner ended").doesNotExist();
        assertThat(lock).doesNotExist();
        try (var left = Files.list(root.resolve("tmp"))) {
            assertThat(left.map(p -> p.getFileName().toString())).as("only this JVM's own lock")
                    .singleElement().asString().endsWith(".owner");
        }
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
