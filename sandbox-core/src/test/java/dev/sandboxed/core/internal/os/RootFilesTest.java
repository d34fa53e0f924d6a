package dev.sandboxed.core.internal.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.testing.RootDirectories;

/** Reading a file of a root directory never reads, waits on or allocates for anything outside the root's files. */
@Timeout(60) // a FIFO that blocked the read would otherwise hang the build
class RootFilesTest {
    private static final long MAX = RootFiles.DEFAULT_MAX_BYTES;

    @TempDir
    Path tmp;
    Path root;
    Path etc;

    @BeforeEach
    void makeRoot() throws Exception {
        root = RootDirectories.withEtc(tmp);
        etc = root.resolve("etc");
    }

    private void refused(String inside, String reason) {
        assertThatThrownBy(() -> RootFiles.read(root, inside, MAX)).isInstanceOf(RootFileException.class)
                .hasMessage(inside + " in root " + root + ": " + reason);
    }

    @Test
    void readsARegularFile() throws Exception {
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        assertThat(new String(RootFiles.read(root, "/etc/passwd", MAX), StandardCharsets.UTF_8))
                .isEqualTo("root:x:0:0::/root:/bin/sh\n");
    }

    @Test
    void aLinkAsTheFileIsNotFollowed() throws Exception {
        Files.createSymbolicLink(etc.resolve("passwd"), Path.of("/etc/shadow"));
        Files.createSymbolicLink(etc.resolve("group"), Path.of("/dev/zero"));
        Files.createSymbolicLink(etc.resolve("hosts"), Path.of("../../../../../../../../etc/shadow"));
        refused("/etc/passwd", "is a symbolic link, which is not followed (ELOOP)");
        refused("/etc/group", "is a symbolic link, which is not followed (ELOOP)");
        refused("/etc/hosts", "is a symbolic link, which is not followed (ELOOP)");
    }

    @Test
    void linksOnTheWayResolveInsideTheRoot() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "escaped:x:4242:4242::/:/bin/sh\n");
        Files.delete(etc);
        // Absolute and ../ escapes both land inside the root, where there is no such directory.
        Files.createSymbolicLink(etc, outside);
        refused("/etc/passwd", "No such file or directory (ENOENT)");
        Files.delete(etc);
        Files.createSymbolicLink(etc, Path.of("../".repeat(root.getNameCount() + 3) + outside.toString().substring(1)));
        refused("/etc/passwd", "No such file or directory (ENOENT)");
        refused("/../outside/passwd", "No such file or directory (ENOENT)");
        // A link that stays inside the root is followed as the sandbox would follow it.
        Files.delete(etc);
        Files.writeString(Files.createDirectories(root.resolve("conf")).resolve("passwd"), "in:x:1:1::/:/bin/sh\n");
        Files.createSymbolicLink(etc, Path.of("/conf"));
        assertThat(new String(RootFiles.read(root, "/etc/passwd", MAX), StandardCharsets.UTF_8)).startsWith("in:");
    }

    @Test
    void aFifoIsRefusedWithoutWaitingForAWriter() throws Exception {
        Process mkfifo = new ProcessBuilder("mkfifo", etc.resolve("passwd").toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();
        refused("/etc/passwd", "is a FIFO, not a regular file");
    }

    @Test
    void aDeviceNodeIsRefused() throws Exception {
        assumeThat(OwnIds.uid()).as("mknod needs root").isZero();
        Process mknod = new ProcessBuilder("mknod", etc.resolve("passwd").toString(), "c", "1", "5").inheritIO().start();
        assertThat(mknod.waitFor()).isZero();
        refused("/etc/passwd", "is a character device, not a regular file");
    }

    @Test
    void aDirectoryIsRefused() throws Exception {
        Files.createDirectories(etc.resolve("passwd"));
        refused("/etc/passwd", "is a directory, not a regular file");
    }

    @Test
    void aFileAboveTheCapIsRefusedBeforeItIsRead() throws Exception {
        try (RandomAccessFile huge = new RandomAccessFile(etc.resolve("passwd").toFile(), "rw")) {
            huge.setLength(64L << 30); // sparse: takes no disk space
        }
        refused("/etc/passwd", "is " + (64L << 30) + " bytes, more than the " + MAX + " allowed");
    }

    @Test
    void aMissingFileOrRootIsNamed() {
        refused("/etc/passwd", "No such file or directory (ENOENT)");
        Path gone = tmp.resolve("gone");
        assertThatThrownBy(() -> RootFiles.read(gone, "/etc/passwd", MAX)).isInstanceOf(RootFileException.class)
                .hasMessage("/etc/passwd in root " + gone + ": cannot open the root: No such file or directory (ENOENT)");
    }

    @Test
    void descriptorsAreClosed() throws Exception {
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        long before = openDescriptors();
        for (int i = 0; i < 200; i++) {
            RootFiles.read(root, "/etc/passwd", MAX);
            assertThatThrownBy(() -> RootFiles.read(root, "/etc", MAX)).isInstanceOf(RootFileException.class);
        }
        assertThat(openDescriptors()).isLessThan(before + 20); // other threads of the JVM may open a few
    }

    private static long openDescriptors() throws Exception {
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            return list.count();
        }
    }

}
