package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.internal.cgroup.CgroupException;
import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.SpecException;

/** Removal after close: final usage first, the state entry last, and kept when the cgroups could not go. */
class BackgroundRemovalTest {
    private static final ResourceUsage FINAL = new ResourceUsage(1, 2, Duration.ofMillis(3), Duration.ofMillis(4),
            Duration.ZERO, 0, 5, 0, 0);

    @TempDir
    Path stateRoot;

    @Test
    void completesWithTheFinalUsageOnceCgroupsAndStateAreGone() {
        StateDirectory states = new StateDirectory(stateRoot);
        FakeCgroup cgroup = new FakeCgroup(false);
        try (BackgroundRemoval removal = new BackgroundRemoval()) {
            ResourceUsage usage = removal.remove("s1", cgroup, states.create("s1")).join();
            assertThat(usage).isEqualTo(FINAL);
            assertThat(cgroup.events).containsExactly("close");
            assertThat(stateRoot.resolve("s1")).doesNotExist();
        }
    }

    @Test
    void aFailedRemovalKeepsTheStateEntryForTheNextRuntime() {
        StateDirectory states = new StateDirectory(stateRoot);
        try (BackgroundRemoval removal = new BackgroundRemoval()) {
            var done = removal.remove("s2", new FakeCgroup(true), states.create("s2"));
            assertThatThrownBy(done::join).hasCauseInstanceOf(CgroupException.class).hasMessageContaining("EBUSY");
        }
        assertThat(stateRoot.resolve("s2")).isDirectory();
        // Its lock is free, so the next runtime's scan takes the entry and retries.
        List<String> retried = new ArrayList<>();
        assertThat(states.removeAbandoned((id, state) -> retried.add(id))).isEqualTo(1);
        assertThat(retried).containsExactly("s2");
        assertThat(stateRoot.resolve("s2")).doesNotExist();
    }

    @Test
    void afterCloseRemovalsRunOnTheCallersThread() {
        BackgroundRemoval removal = new BackgroundRemoval();
        removal.close();
        FakeCgroup cgroup = new FakeCgroup(false);
        var done = removal.remove("s3", cgroup, new StateDirectory(stateRoot).create("s3"));
        assertThat(done).isCompleted();
        assertThat(cgroup.events).containsExactly("close");
    }

    @Test
    void poolDepthIsValidatedWithTheAllowedRange() {
        assertThatThrownBy(() -> new RuntimeConfig(Optional.empty(), Optional.empty(), false, -1))
                .isInstanceOf(SpecException.class).hasMessageContaining(RuntimeConfig.CGROUP_POOL_PROPERTY)
                .hasMessageContaining("between 0 and " + RuntimeConfig.MAX_CGROUP_POOL);
        assertThatThrownBy(() -> RuntimeConfig.parsePool("two")).isInstanceOf(SpecException.class)
                .hasMessageContaining(RuntimeConfig.CGROUP_POOL_PROPERTY).hasMessageContaining("'two' is not a number");
        assertThat(new RuntimeConfig(Optional.empty(), Optional.empty()).cgroupPool())
                .isEqualTo(RuntimeConfig.DEFAULT_CGROUP_POOL);
        assertThat(RuntimeConfig.parsePool(" 0 ")).isZero();
    }

    @Test
    void cgroupVersionIsAutoOrV2() {
        assertThat(RuntimeConfig.from(key -> Optional.empty()).cgroupV2()).isFalse();
        assertThat(RuntimeConfig.from(key -> key.equals(RuntimeConfig.CGROUP_VERSION_PROPERTY) ? Optional.of("V2")
                : Optional.empty()).cgroupV2()).isTrue();
        assertThatThrownBy(() -> RuntimeConfig.parseCgroupVersion("v1")).isInstanceOf(SpecException.class)
                .hasMessageContaining(RuntimeConfig.CGROUP_VERSION_PROPERTY).hasMessageContaining("allowed: auto, v2");
    }

    private static final class FakeCgroup implements SandboxCgroup {
        private final boolean failClose;
        private final List<String> events = new ArrayList<>();
        private boolean closed;

        FakeCgroup(boolean failClose) {
            this.failClose = failClose;
        }

        @Override
        public List<Path> procsFiles() {
            return List.of();
        }

        @Override
        public List<Path> directories() {
            return List.of(Path.of("/sys/fs/cgroup/memory/sandboxed-fake"));
        }

        @Override
        public ResourceUsage usage() {
            return closed ? FINAL : ResourceUsage.NOT_AVAILABLE;
        }

        @Override
        public void killAll() {
            events.add("kill");
        }

        @Override
        public void close() {
            events.add("close");
            if (failClose) {
                throw new CgroupException("rmdir: Device or resource busy (EBUSY)");
            }
            closed = true;
        }
    }
}
