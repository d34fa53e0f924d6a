package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.SandboxRuntime;

/** Parallel execution: every test gets its own sandbox, and sandboxed.maxConcurrent caps how many live at once. */
class ParallelTest {
    static final AtomicInteger ALIVE = new AtomicInteger();
    static final AtomicInteger MAX_ALIVE = new AtomicInteger();
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();
    static final List<String> IDS = new CopyOnWriteArrayList<>();

    @BeforeEach
    void reset() {
        ALIVE.set(0);
        MAX_ALIVE.set(0);
        PIDS.clear();
        IDS.clear();
    }

    @Sandboxed
    static class Many {
        @RepeatedTest(12)
        void work(Container c) throws Exception {
            int now = ALIVE.incrementAndGet();
            MAX_ALIVE.accumulateAndGet(now, Math::max);
            PIDS.add(c.pid());
            IDS.add(c.id());
            try {
                assertThat(c.exec("sh", "-c", "sleep 0.1; echo ok").stdout()).isEqualTo("ok\n");
            } finally {
                ALIVE.decrementAndGet();
            }
        }
    }

    private static Map<String, String> parallel(String maxConcurrent) {
        return Map.of("junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "6",
                ExtensionConfig.MAX_CONCURRENT, maxConcurrent);
    }

    @Test
    void capLimitsConcurrentSandboxes() {
        Kit.run(Many.class, parallel("2")).testEvents().assertStatistics(s -> s.succeeded(12).failed(0));
        assertThat(MAX_ALIVE.get()).isBetween(1, 2);
        assertThat(IDS).doesNotHaveDuplicates().hasSize(12);
        Kit.assertNothingLeft(PIDS);
    }

    @Test
    void runsInParallelWithoutACap() {
        Kit.run(Many.class, parallel("50")).testEvents().assertStatistics(s -> s.succeeded(12).failed(0));
        assertThat(MAX_ALIVE.get()).isGreaterThan(1);
        assertThat(IDS).doesNotHaveDuplicates();
        assertThat(SandboxRuntime.shared().openSandboxes()).isEmpty();
        Kit.assertNothingLeft(PIDS);
    }

    @Test
    void invalidCapIsRejected() {
        Kit.run(Many.class, Map.of(ExtensionConfig.MAX_CONCURRENT, "0")).testEvents()
                .assertStatistics(s -> s.failed(12));
    }
}
