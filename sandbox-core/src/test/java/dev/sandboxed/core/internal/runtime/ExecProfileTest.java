package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecProfileTest {

    @Test
    void isWrittenReadableByItsOwnerOnlyAndReadBack(@TempDir Path dir) throws Exception {
        ExecProfile profile = new ExecProfile(Map.of("SECRET", "s3cr3t"), "/work", 1000, 1000, 0L,
                List.of(new long[] {7, 64, 64}), false, null, -1);
        Path file = dir.resolve("exec.json");
        Files.writeString(dir.resolve("exec.json.tmp"), "torn"); // a JVM killed mid-write left this
        profile.write(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(dir.resolve("exec.json.tmp")).doesNotExist();
        ExecProfile read = ExecProfile.read(file);
        assertThat(read.environment()).containsEntry("SECRET", "s3cr3t");
        assertThat(read.rlimits()).singleElement().satisfies(r -> assertThat(r).containsExactly(7, 64, 64));
    }
}
