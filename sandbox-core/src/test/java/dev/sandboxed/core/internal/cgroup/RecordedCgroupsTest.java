package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.result.ResourceUsage;

/**
 * Usage of a kept sandbox read from the cgroup directories its state entry names: v1 and v2 files, and nothing read
 * outside a sandboxed-* directory reached without links.
 */
class RecordedCgroupsTest {

    private static Path cgroup(Path parent, String name, String... files) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        Files.writeString(dir.resolve("cgroup.procs"), "");
        for (int i = 0; i < files.length; i += 2) {
            Files.writeString(dir.resolve(files[i]), files[i + 1]);
        }
        return dir;
    }

    @Test
    void readsV2FromItsOneDirectory(@TempDir Path root) throws IOException {
        Path dir = cgroup(root, "sandboxed-a", "cgroup.controllers", "memory pids", "memory.current", "4096\n",
                "cpu.stat", "usage_usec 9000\nuser_usec 2000\nsystem_usec 3000\n", "pids.current", "2\n");
        ResourceUsage u = RecordedCgroups.usage(List.of(dir.toString())).orElseThrow();
        assertThat(u.memoryCurrentBytes()).isEqualTo(4096);
        assertThat(u.cpuUser().plus(u.cpuSystem())).isEqualTo(Duration.ofMillis(5));
        assertThat(u.pidsCurrent()).isEqualTo(2);
    }

    @Test
    void readsV1FromTheDirectoryOfEachController(@TempDir Path root) throws IOException {
        Path memory = cgroup(root.resolve("memory"), "sandboxed-a", "memory.usage_in_bytes", "8192\n");
        Path cpuacct = cgroup(root.resolve("cpuacct"), "sandboxed-a", "cpuacct.usage", "1",
                "cpuacct.usage_user", "7000000\n", "cpuacct.usage_sys", "1000000\n");
        Path pids = cgroup(root.resolve("pids"), "sandboxed-a", "pids.current", "3\n");
        ResourceUsage u = RecordedCgroups.usage(List.of(pids.toString(), memory.toString(), cpuacct.toString()))
                .orElseThrow();
        assertThat(u.memoryCurrentBytes()).isEqualTo(8192);
        assertThat(u.cpuUser().plus(u.cpuSystem())).isEqualTo(Duration.ofMillis(8));
        assertThat(u.pidsCurrent()).isEqualTo(3);
    }

    @Test
    void readsNothingOutsideASandboxCgroupReachedWithoutLinks(@TempDir Path root) throws IOException {
        Path other = cgroup(root, "system.slice", "cgroup.controllers", "", "memory.current", "1\n");
        Path real = cgroup(root.resolve("real"), "sandboxed-b", "cgroup.controllers", "", "memory.current", "1\n");
        Path linkedParent = Files.createSymbolicLink(root.resolve("linked"), root.resolve("real"));
        Path linkedDir = Files.createSymbolicLink(root.resolve("sandboxed-c"), real);
        assertThat(RecordedCgroups.usage(List.of(other.toString(), linkedParent.resolve("sandboxed-b").toString(),
                linkedDir.toString(), "sandboxed-b", real + "/../real/sandboxed-b", root.resolve("sandboxed-gone")
                        .toString()))).isEmpty();

        Path secret = Files.writeString(root.resolve("secret"), "12345\n");
        Path d = cgroup(root, "sandboxed-d", "cgroup.controllers", "");
        Files.createSymbolicLink(d.resolve("memory.current"), secret);
        assertThat(RecordedCgroups.usage(List.of(d.toString())).orElseThrow().memoryCurrentBytes())
                .as("an interface file that is a link is not followed").isEqualTo(-1);
    }
}
