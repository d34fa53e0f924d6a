package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.result.ResourceUsage;

/** Peaks the kernel does not keep are not reported for a sandboxed JVM, whose sandbox is read only at its end. */
class KernelPeaksTest {
    private static final ResourceUsage SAMPLED = new ResourceUsage(10, 20, Duration.ofMillis(5), Duration.ofMillis(5),
            Duration.ZERO, 1, 3, 0, 0);

    @Test
    void aV2CgroupWithoutMemoryPeakOrPidsPeakReportsNeither(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("memory.current"), "10\n");
        Files.writeString(dir.resolve("pids.current"), "1\n");
        ResourceUsage u = KernelPeaks.of(List.of(dir)).keptOnly(SAMPLED);
        assertThat(u.memoryPeakBytes()).isEqualTo(-1);
        assertThat(u.pidsPeak()).isEqualTo(-1);
        assertThat(u.memoryCurrentBytes()).isEqualTo(10);
        assertThat(u.cpuUser()).isEqualTo(Duration.ofMillis(5));
    }

    @Test
    void peaksTheKernelKeepsStay(@TempDir Path dir) throws IOException {
        Path memory = Files.createDirectory(dir.resolve("memory"));
        Path pids = Files.createDirectory(dir.resolve("pids"));
        Files.writeString(memory.resolve("memory.max_usage_in_bytes"), "20\n"); // v1, one directory per controller
        assertThat(KernelPeaks.of(List.of(memory, pids)).keptOnly(SAMPLED).memoryPeakBytes()).isEqualTo(20);
        assertThat(KernelPeaks.of(List.of(memory, pids)).keptOnly(SAMPLED).pidsPeak()).isEqualTo(-1);
        Files.writeString(pids.resolve("pids.peak"), "3\n");
        assertThat(KernelPeaks.of(List.of(memory, pids)).keptOnly(SAMPLED)).isEqualTo(SAMPLED);
    }

    @Test
    void aLinkNamedLikeAPeakFileIsNoPeakFile(@TempDir Path dir) throws IOException {
        Files.createSymbolicLink(dir.resolve("memory.peak"), dir.resolve("nowhere"));
        assertThat(KernelPeaks.of(List.of(dir)).memory()).isFalse();
    }

    @Test
    void withoutAnyCgroupNothingChanges() {
        assertThat(KernelPeaks.of(List.of()).keptOnly(ResourceUsage.NOT_AVAILABLE)).isEqualTo(ResourceUsage.NOT_AVAILABLE);
    }
}
