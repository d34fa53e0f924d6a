package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Removing a writable layer never follows a link the sandbox left in it: the link goes, what it names stays as it was.
 */
class DiskLayersTest {
    @TempDir
    Path outside;

    @Test
    void removalDeletesLinksAndNeverTouchesTheirTargets() throws IOException {
        Path file = Files.writeString(outside.resolve("file"), "host");
        Path privateDir = Files.createDirectory(outside.resolve("private"));
        Files.writeString(privateDir.resolve("inside"), "host");
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("r-x------"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        String id = "disk-layers-test-" + UUID.randomUUID();
        Path layer = DiskLayers.create(id);
        Path deep = Files.createDirectories(layer.resolve("upper/a/b"));
        Files.createSymbolicLink(layer.resolve("upper/dir-link"), privateDir);
        Files.createSymbolicLink(deep.resolve("file-link"), file);
        Files.createSymbolicLink(deep.resolve("outside-link"), outside);
        Files.writeString(deep.resolve("data"), "sandbox");
        Path locked = Files.createDirectories(layer.resolve("work/work/x"));
        Files.setPosixFilePermissions(locked.getParent(), PosixFilePermissions.fromString("---------"));

        DiskLayers.removeIfPresent(id);

        assertThat(layer).doesNotExist();
        assertThat(Files.exists(layer, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(file)).isEqualTo("host");
        assertThat(privateDir.resolve("inside")).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateDir))).isEqualTo("r-x------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r--------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outside))).isEqualTo("rwx------");
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
    }
}
