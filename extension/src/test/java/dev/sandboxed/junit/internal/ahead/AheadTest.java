package dev.sandboxed.junit.internal.ahead;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/** The pool of sandboxes started ahead, with stand-in handles: what is handed out, what is closed, and permits. */
class AheadTest {
    private final AtomicInteger started = new AtomicInteger();
    private final List<Handle> closed = new CopyOnWriteArrayList<>();
    private final Semaphore permits = new Semaphore(4);

    private final class Handle implements AutoCloseable {
        final String key;
        final int number = started.incrementAndGet();
        final AtomicBoolean usable = new AtomicBoolean(true);

        Handle(String key) {
            this.key = key;
        }

        @Override
        public void close() {
            closed.add(this);
        }
    }

    private final Ahead<String, Handle> ahead = new Ahead<>(2, h -> h.usable.get());

    private Supplier<Handle> start(String key) {
        return () -> new Handle(key);
    }

    /** A start that counts {@code starting} down, then blocks until {@code proceed} opens (10 s at most). */
    private Supplier<Handle> startWhenReleased(String key, CountDownLatch starting, CountDownLatch proceed) {
        return () -> {
            starting.countDown();
            try {
                proceed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Handle(key);
        };
    }

    @Test
    void anEqualKeyTakesThePreparedOneWithItsPermit() {
        ahead.prepare("a", "t1", permits, start("a"));
        assertThat(permits.availablePermits()).isEqualTo(3);
        ahead.awaitIdle();
        Ahead.Taken<Handle> taken = ahead.take("a", "t2").orElseThrow();
        assertThat(taken.sandbox().key).isEqualTo("a");
        assertThat(ahead.take("a", "t3")).isEmpty();
        taken.releasePermit().run();
        taken.releasePermit().run(); // once only
        assertThat(permits.availablePermits()).isEqualTo(4);
        ahead.close();
        assertThat(closed).isEmpty();
    }

    @Test
    void aMissClosesWhatOtherScopesPreparedButKeepsItsOwn() {
        ahead.prepare("a", "t1", permits, start("a"));
        ahead.prepare("b", "t2", permits, start("b"));
        ahead.awaitIdle();
        assertThat(ahead.take("c", "t2")).isEmpty();
        assertThat(ahead.size()).isEqualTo(1);
        ahead.awaitIdle();
        assertThat(closed).extracting(h -> h.key).containsExactly("a");
        assertThat(ahead.take("b", "t3")).isPresent();
        assertThat(permits.availablePermits()).isEqualTo(3); // b's permit went with it
    }

    @Test
    void theOldestIsClosedWhenANewOneDoesNotFit() {
        ahead.prepare("a", "t1", permits, start("a"));
        ahead.prepare("b", "t1", permits, start("b"));
        ahead.prepare("b", "t1", permits, start("b")); // there already
        ahead.awaitIdle();
        ahead.prepare("c", "t1", permits, start("c"));
        ahead.awaitIdle();
        assertThat(started).hasValue(3);
        assertThat(closed).extracting(h -> h.key).containsExactly("a");
        assertThat(permits.availablePermits()).isEqualTo(2);
        ahead.close();
        assertThat(closed).extracting(h -> h.key).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(permits.availablePermits()).isEqualTo(4);
    }

    @Test
    void oneNotStartedYetIsSkippedAndTheCallerStartsItsOwn() throws Exception {
        CountDownLatch proceed = new CountDownLatch(1);
        ahead.prepare("a", "t1", permits, startWhenReleased("a", new CountDownLatch(1), proceed));
        ahead.prepare("b", "t1", permits, start("b")); // queued behind a
        assertThat(ahead.take("b", "t2")).isEmpty();
        proceed.countDown();
        ahead.awaitIdle();
        assertThat(started).hasValue(1);
        assertThat(permits.availablePermits()).isEqualTo(3); // a's
    }

    @Test
    void closeLaterClosesOffTheCallersThreadAndCloseWaitsForIt() {
        Handle h = new Handle("a");
        ahead.closeLater(h, "t1", "h");
        ahead.close();
        assertThat(closed).containsExactly(h);
        Handle after = new Handle("b");
        ahead.closeLater(after, "t1", "after"); // closed pool: at once
        assertThat(closed).containsExactly(h, after);
        assertThat(ahead.takeCloseFailures("")).isEmpty();
    }

    @Test
    void aCloseThatFailsIsKeptForItsOriginAndGivenOnce() {
        AutoCloseable failing = () -> {
            throw new IllegalStateException("kill failed");
        };
        ahead.closeLater(failing, "[class:A]/[method:m]", "the container of m");
        ahead.closeLater(new Handle("b"), "[class:A]/[method:n]", "the container of n");
        ahead.awaitIdle();
        assertThat(ahead.takeCloseFailures("[class:B]")).isEmpty();
        assertThat(ahead.takeCloseFailures("[class:A]")).singleElement().satisfies(e -> assertThat(e)
                .hasMessage("closing the container of m failed: kill failed").hasCauseInstanceOf(IllegalStateException.class));
        assertThat(ahead.takeCloseFailures("[class:A]")).as("given once").isEmpty();
    }

    @Test
    void withoutAFreePermitNothingIsPrepared() {
        Semaphore none = new Semaphore(0);
        ahead.prepare("a", "t1", none, start("a"));
        assertThat(ahead.size()).isZero();
        assertThat(ahead.take("a", "t2")).isEmpty();
        assertThat(started).hasValue(0);
    }

    @Test
    void oneThatDiedMeanwhileIsClosedNotHandedOut() {
        ahead.prepare("a", "t1", permits, () -> {
            Handle h = new Handle("a");
            h.usable.set(false);
            return h;
        });
        ahead.awaitIdle();
        assertThat(ahead.take("a", "t2")).isEmpty();
        ahead.awaitIdle(); // closed off the caller's path, its permit given back after
        assertThat(closed).hasSize(1);
        assertThat(permits.availablePermits()).isEqualTo(4);
    }

    @Test
    void aFailedStartGivesBackItsPermit() {
        ahead.prepare("a", "t1", permits, () -> {
            throw new IllegalStateException("deliberate");
        });
        ahead.awaitIdle();
        assertThat(ahead.take("a", "t2")).isEmpty();
        assertThat(permits.availablePermits()).isEqualTo(4);
    }

    @Test
    void oneDiscardedWhileStartingIsClosedOnceStartedAndCloseWaitsForIt() throws Exception {
        CountDownLatch starting = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        ahead.prepare("a", "t1", permits, startWhenReleased("a", starting, proceed));
        ahead.prepare("b", "t1", permits, start("b")); // queued behind a
        assertThat(starting.await(10, TimeUnit.SECONDS)).isTrue();
        ahead.discardAll();
        assertThat(permits.availablePermits()).as("b was never started: its permit is back").isEqualTo(3);
        Thread closer = new Thread(ahead::close);
        closer.start();
        proceed.countDown();
        closer.join(10_000);
        assertThat(closed).extracting(h -> h.key).containsExactly("a");
        assertThat(started).hasValue(1);
        assertThat(permits.availablePermits()).isEqualTo(4);
        ahead.prepare("c", "t1", permits, start("c")); // closed: does nothing
        assertThat(started).hasValue(1);
    }
}
