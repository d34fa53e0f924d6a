package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.Probes;

/** The bookkeeping of sandboxes set up ahead, with strings standing in for sandboxes. */
class PrestartedTest {
    private static final SandboxSpec SPEC = SandboxSpec.builder().hostname("a").build();

    private final AtomicInteger made = new AtomicInteger();
    private final List<String> discarded = new CopyOnWriteArrayList<>();
    private final AtomicReference<Optional<String>> stale = new AtomicReference<>(Optional.empty());

    private Prestarted<String> prestarted(Duration maxAge, CountDownLatch startsMayFinish) {
        return new Prestarted<>("test-prestart", spec -> {
            await(startsMayFinish);
            return "sandbox-" + made.incrementAndGet();
        }, spec -> s -> stale.get(), s -> true, discarded::add, maxAge);
    }

    @Test
    void aReadySandboxIsHandedOutOnce() {
        try (Prestarted<String> p = prestarted(Duration.ofMinutes(1), new CountDownLatch(0))) {
            p.prepare(SPEC);
            p.awaitIdle();
            assertThat(p.take(SPEC)).isEqualTo("sandbox-1");
            assertThat(p.take(SPEC, false)).isNull();
            assertThat(p.take(SandboxSpec.builder().hostname("b").build())).isNull();
            assertThat(p.handedOut()).isEqualTo(1);
        }
    }

    @Test
    void oneThatWaitedItsMaximumAgeIsDiscardedWithoutBeingAskedFor() throws Exception {
        try (Prestarted<String> p = prestarted(Duration.ofMillis(50), new CountDownLatch(0))) {
            p.prepare(SPEC);
            p.awaitIdle();
            assertThat(Probes.eventually(10, () -> discarded.contains("sandbox-1"))).isTrue();
            assertThat(p.take(SPEC)).isNull();
            assertThat(p.handedOut()).isZero();
        }
    }

    @Test
    void oneWhoseHostStateChangedIsDiscardedNotHandedOut() {
        try (Prestarted<String> p = prestarted(Duration.ofMinutes(1), new CountDownLatch(0))) {
            p.prepare(SPEC);
            p.awaitIdle();
            stale.set(Optional.of("a bind source was replaced"));
            assertThat(p.take(SPEC)).isNull();
            p.awaitIdle();
            assertThat(discarded).containsExactly("sandbox-1");
        }
    }

    @Test
    void aSetUpThatFailsWithAnErrorLeavesNothingPending() {
        AtomicInteger attempts = new AtomicInteger();
        try (Prestarted<String> p = new Prestarted<>("test-prestart", spec -> {
            if (attempts.incrementAndGet() == 1) {
                throw new StackOverflowError("first set-up");
            }
            return "sandbox-" + attempts.get();
        }, spec -> s -> Optional.empty(), s -> true, discarded::add, Duration.ofMinutes(1))) {
            p.prepare(SPEC);
            p.awaitIdle();
            assertThat(p.take(SPEC, false)).isNull();
            p.prepare(SPEC); // the spec is not left pending: this starts the next set-up
            p.awaitIdle();
            assertThat(p.take(SPEC)).isEqualTo("sandbox-2");
        }
    }

    @Test
    void aTakeWaitsForTheSetUpUnderWayOnlyWhenAskedTo() throws Exception {
        CountDownLatch finish = new CountDownLatch(1);
        try (Prestarted<String> p = prestarted(Duration.ofMinutes(1), finish)) {
            p.prepare(SPEC);
            assertThat(p.take(SPEC, false)).isNull(); // under way: not waited for
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> p.take(SPEC, true));
            Thread.sleep(100);
            assertThat(waiting).isNotDone();
            finish.countDown();
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo("sandbox-1");
            assertThat(made.get()).isEqualTo(1);
        }
    }

    @Test
    void aSpecPushedOutUnusedSkipsItsNextSetUpAhead() {
        SandboxSpec b = SandboxSpec.builder().hostname("b").build();
        SandboxSpec c = SandboxSpec.builder().hostname("c").build();
        try (Prestarted<String> p = prestarted(Duration.ofMinutes(1), new CountDownLatch(0))) {
            for (SandboxSpec spec : List.of(SPEC, b, c)) { // three specs taking turns, two kept
                p.prepare(spec);
                p.awaitIdle();
            }
            assertThat(discarded).containsExactly("sandbox-1");
            assertThat(p.take(SPEC, false)).isNull();
            p.prepare(SPEC); // it would push out b, which is taken next
            p.awaitIdle();
            assertThat(made.get()).isEqualTo(3);
            assertThat(p.take(b)).isEqualTo("sandbox-2");
            assertThat(p.take(c)).isEqualTo("sandbox-3");
            p.prepare(SPEC); // back after the others: set up ahead again
            p.awaitIdle();
            assertThat(p.take(SPEC)).isEqualTo("sandbox-4");
        }
    }

    @Test
    void closingDiscardsWhatIsReadyAndWhatIsUnderWay() {
        CountDownLatch finish = new CountDownLatch(1);
        Prestarted<String> p = prestarted(Duration.ofMinutes(1), finish);
        p.prepare(SPEC);
        p.prepare(SandboxSpec.builder().hostname("b").build());
        finish.countDown();
        p.close();
        assertThat(discarded).containsExactlyInAnyOrder("sandbox-1", "sandbox-2");
        p.prepare(SPEC);
        assertThat(p.take(SPEC)).isNull();
        assertThat(made.get()).isEqualTo(2);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
