package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.ResourceLimits;

/** Cgroups made ahead: per limits, bounded, refilled, and everything released on close. */
class CgroupPoolTest {
    private static final CgroupPool.Key USAGE = new CgroupPool.Key(ResourceLimits.NONE, true);
    private static final CgroupPool.Key MEMORY = new CgroupPool.Key(ResourceLimits.NONE.withMemoryMax(64L << 20), true);

    @TempDir
    Path stateRoot;

    private final List<String> made = new CopyOnWriteArrayList<>();
    private final List<String> removed = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();

    private CgroupPool.Slot make(CgroupPool.Key key) {
        String id = "pool-" + ids.incrementAndGet();
        made.add(id);
        return new CgroupPool.Slot(id, new StateDirectory(stateRoot).create(id), new RecordingCgroup(id), null);
    }

    @Test
    void aTakeMissesUntilTheFirstRefillThenFindsAReadyCgroup() {
        try (CgroupPool pool = new CgroupPool(2, this::make)) {
            assertThat(pool.take(USAGE)).isNull();
            pool.refill(USAGE);
            pool.awaitIdle();
            assertThat(made).hasSize(2);
            CgroupPool.Slot slot = pool.take(USAGE);
            assertThat(slot).isNotNull();
            assertThat(stateRoot.resolve(slot.id())).isDirectory(); // its state entry exists while it is pooled
            assertThat(pool.take(MEMORY)).as("another limits value has its own cgroups").isNull();
            pool.refill(USAGE);
            pool.awaitIdle();
            assertThat(made).as("one made to replace the one taken").hasSize(3);
            assertThat(pool.readyCount()).isEqualTo(2);
            slot.release();
        }
    }

    @Test
    void closeRemovesEveryReadyCgroupAndItsStateEntry() {
        CgroupPool pool = new CgroupPool(2, this::make);
        pool.refill(USAGE);
        pool.refill(MEMORY);
        pool.awaitIdle();
        pool.close();
        assertThat(removed).containsExactlyInAnyOrderElementsOf(made).hasSize(4);
        assertThat(stateRoot).isEmptyDirectory();
        pool.refill(USAGE);
        assertThat(made).as("nothing is made after close").hasSize(4);
    }

    @Test
    void onlyTheLimitsUsedLastAreKept() {
        try (CgroupPool pool = new CgroupPool(1, this::make)) {
            for (int mib = 1; mib <= CgroupPool.MAX_LIMITS + 2; mib++) {
                pool.refill(new CgroupPool.Key(ResourceLimits.NONE.withMemoryMax(mib << 20), true));
                pool.awaitIdle();
            }
            assertThat(pool.readyCount()).isEqualTo(CgroupPool.MAX_LIMITS);
            assertThat(removed).containsExactly("pool-1", "pool-2");
        }
    }

    @Test
    void depthZeroMakesNothing() {
        try (CgroupPool pool = new CgroupPool(0, this::make)) {
            pool.refill(USAGE);
            pool.awaitIdle();
            assertThat(pool.take(USAGE)).isNull();
            assertThat(made).isEmpty();
        }
    }

    @Test
    void aFailedMakeLeavesNothingPendingAndTheNextRefillTriesAgain() {
        AtomicInteger calls = new AtomicInteger();
        try (CgroupPool pool = new CgroupPool(1, key -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("cgroup parent vanished");
            }
            return make(key);
        })) {
            pool.refill(USAGE);
            pool.awaitIdle();
            assertThat(pool.take(USAGE)).isNull();
            pool.refill(USAGE);
            pool.awaitIdle();
            assertThat(pool.take(USAGE)).isNotNull().satisfies(CgroupPool.Slot::release);
        }
    }

    /** Records its removal; no cgroupfs needed. */
    private final class RecordingCgroup implements SandboxCgroup {
        private final String id;

        RecordingCgroup(String id) {
            this.id = id;
        }

        @Override
        public List<Path> procsFiles() {
            return List.of();
        }

        @Override
        public List<Path> directories() {
            return List.of();
        }

        @Override
        public ResourceUsage usage() {
            return ResourceUsage.NOT_AVAILABLE;
        }

        @Override
        public void killAll() {
        }

        @Override
        public void close() {
            removed.add(id);
        }
    }
}
