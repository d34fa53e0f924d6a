package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Starting a JVM ahead serves a later test: its failure must not become the current test's. */
class JvmPoolTest {
    private static final JvmRun.Key KEY = new JvmRun.Key(null, List.of("java"));

    @Test
    void aJvmThatFailsToStartAheadIsLoggedNotThrown() {
        AtomicInteger tries = new AtomicInteger();
        try (JvmPool pool = new JvmPool(1)) {
            assertThatCode(() -> pool.prepareAhead(KEY, () -> {
                tries.incrementAndGet();
                throw new IllegalStateException("no room for another sandbox");
            })).doesNotThrowAnyException();
            assertThat(pool.has(KEY)).isFalse();
        }
        assertThat(tries).hasValue(1);
    }

    @Test
    void noneIsStartedWhenNoneAreKept() {
        AtomicInteger tries = new AtomicInteger();
        try (JvmPool pool = new JvmPool(0)) {
            pool.prepareAhead(KEY, () -> {
                tries.incrementAndGet();
                throw new AssertionError("not to be called");
            });
        }
        assertThat(tries).hasValue(0);
    }
}
