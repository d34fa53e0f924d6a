package dev.sandboxed.junit.internal.ahead;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Sandboxes started ahead, one background thread starting them (another closes those tests are done with): after a test gets its sandbox, the next one for the
 * same key boots while that test runs, and the next test with an equal key takes it instead of waiting for a start.
 * At most {@code capacity} are kept (the oldest is closed when a new one does not fit), each holding one of the
 * caller's permits, so that they count against the cap on sandboxes alive at once; one that was not taken is closed
 * when a scope that misses starts (see {@link #take}), when permits run out, and with the pool. Generic over the
 * sandbox handle and its key, so it is tested without sandboxes.
 *
 * @param <K> what a sandbox is started from (equal keys give indistinguishable sandboxes)
 * @param <S> the sandbox handle
 */
public final class Ahead<K, S extends AutoCloseable> implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Ahead.class.getName());

    /** A sandbox taken from the pool and the action that gives back the permit it holds (once). */
    public record Taken<S>(S sandbox, Runnable releasePermit) {
    }

    private record CloseFailure(String origin, RuntimeException failure) {
    }

    private final int capacity;
    private final Predicate<S> usable;
    private final Queue<CloseFailure> closeFailures = new ConcurrentLinkedQueue<>();
    private final Deque<Entry> entries = new ArrayDeque<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandboxed-prepare-ahead");
        t.setDaemon(true);
        return t;
    });
    /** Closes on a thread of its own: a close waits mostly for the kernel, and must not hold up the next start. */
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandboxed-close-behind");
        t.setDaemon(true);
        return t;
    });
    private boolean closed;

    /**
     * @param usable whether a prepared sandbox can still be handed out (its init did not die meanwhile, nothing it
     *               depends on changed); one that is not is closed in the background
     */
    public Ahead(int capacity, Predicate<S> usable) {
        this.capacity = capacity;
        this.usable = usable;
    }

    /**
     * The sandbox prepared for {@code key}, waiting for it if it is still starting; empty when there is none (or it
     * failed, died or is not usable: the caller starts its own). On a miss, what other scopes than {@code origin}
     * prepared is closed: their successors ask for something else. What {@code origin} itself prepared stays, for a
     * test with several containers.
     */
    public Optional<Taken<S>> take(K key, String origin) {
        Entry found = null;
        List<Entry> stale = new ArrayList<>();
        synchronized (this) {
            for (var it = entries.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.key.equals(key)) {
                    it.remove();
                    found = e;
                    break;
                }
            }
            if (found == null) {
                for (var it = entries.iterator(); it.hasNext(); ) {
                    Entry e = it.next();
                    if (!e.origin.equals(origin)) {
                        it.remove();
                        stale.add(e);
                    }
                }
            }
        }
        stale.forEach(Entry::discard);
        return found == null ? Optional.empty() : found.handOut();
    }

    /**
     * Starts a sandbox for {@code key} in the background with {@code start}, holding one of {@code permits}, unless
     * one is there already, no permit is free or the pool is closed.
     */
    public void prepare(K key, String origin, Semaphore permits, Supplier<S> start) {
        synchronized (this) {
            if (closed || entries.stream().anyMatch(e -> e.key.equals(key))) {
                return;
            }
        }
        if (!permits.tryAcquire()) {
            return; // every permit is in use: a sandbox started ahead would make a test wait for one
        }
        Entry entry = new Entry(key, origin, permits, start);
        Entry evicted = null;
        synchronized (this) {
            if (closed) {
                evicted = entry;
            } else {
                entries.addLast(entry);
                if (entries.size() > capacity) {
                    evicted = entries.removeFirst();
                }
            }
        }
        if (evicted == entry) {
            permits.release();
            return;
        }
        try {
            worker.execute(entry);
        } catch (RejectedExecutionException closedMeanwhile) {
            synchronized (this) {
                entries.remove(entry);
            }
            entry.discard();
        }
        if (evicted != null) {
            evicted.discard();
        }
    }

    /**
     * Closes every sandbox waiting here, giving back their permits (those still starting give theirs back once
     * started and closed): a test waits for a permit.
     */
    public void discardAll() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries);
            entries.clear();
        }
        all.forEach(Entry::discard);
    }

    /** Closes what scopes whose unique id starts with {@code originPrefix} prepared: a class that ended. */
    public void discardFrom(String originPrefix) {
        List<Entry> theirs = new ArrayList<>();
        synchronized (this) {
            for (var it = entries.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.origin.startsWith(originPrefix)) {
                    it.remove();
                    theirs.add(e);
                }
            }
        }
        theirs.forEach(Entry::discard);
    }

    /**
     * Closes {@code sandbox} in the background, off the caller's path (at once on this thread when the pool is
     * closed); {@link #awaitIdle} and {@link #close} wait for it. A close that fails is kept for
     * {@link #takeCloseFailures} with {@code origin}: a test's container that did not close cleanly must fail
     * something, as it did when it was closed on the test's path.
     */
    public void closeLater(AutoCloseable sandbox, String origin, String what) {
        Runnable close = () -> {
            try {
                sandbox.close();
            } catch (Exception e) {
                closeFailures.add(new CloseFailure(origin, new IllegalStateException("closing " + what + " failed: "
                        + e.getMessage(), e)));
            }
        };
        try {
            closer.execute(close);
        } catch (RejectedExecutionException closed) {
            close.run();
        }
    }

    /** The failures of {@link #closeLater} so far whose origin starts with {@code originPrefix}, each given once. */
    public List<RuntimeException> takeCloseFailures(String originPrefix) {
        List<RuntimeException> taken = new ArrayList<>();
        for (var it = closeFailures.iterator(); it.hasNext(); ) {
            CloseFailure f = it.next();
            if (f.origin.startsWith(originPrefix)) {
                it.remove();
                taken.add(f.failure);
            }
        }
        return taken;
    }

    /** Waits until the background threads have done what they were given so far (at once when the pool is closed). */
    public void awaitIdle() {
        await(worker);
        await(closer);
    }

    private static void await(ExecutorService executor) {
        try {
            executor.submit(() -> { }).get();
        } catch (RejectedExecutionException closed) {
            // close() waits for the rest
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many are prepared or being prepared. */
    public synchronized int size() {
        return entries.size();
    }

    /** Closes every sandbox prepared here, also those still starting (waits for them); later prepares do nothing. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        discardAll();
        for (ExecutorService executor : List.of(worker, closer)) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
                    LOG.log(Level.WARNING, "a sandbox started ahead or being closed took over 60 s; the runtime closes it");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * One sandbox, queued, being started or ready. Once discarded it is closed as soon as it exists; one skipped before
     * it started is never started.
     */
    private final class Entry implements Runnable {
        private static final int QUEUED = 0;
        private static final int STARTING = 1;
        private static final int SKIPPED = 2;

        final K key;
        final String origin;
        private final Semaphore permits;
        private final Supplier<S> start;
        private final AtomicInteger state = new AtomicInteger(QUEUED);
        private final CompletableFuture<S> sandbox = new CompletableFuture<>();
        private final AtomicBoolean permitHeld = new AtomicBoolean(true);
        private final AtomicBoolean cleaned = new AtomicBoolean();
        private volatile boolean discarded;

        Entry(K key, String origin, Semaphore permits, Supplier<S> start) {
            this.key = key;
            this.origin = origin;
            this.permits = permits;
            this.start = start;
        }

        @Override
        public void run() {
            if (!state.compareAndSet(QUEUED, STARTING)) {
                return;
            }
            try {
                sandbox.complete(start.get());
            } catch (RuntimeException | Error e) {
                sandbox.completeExceptionally(e);
            }
            if (discarded) {
                cleanUp();
            }
        }

        void releasePermit() {
            if (permitHeld.compareAndSet(true, false)) {
                permits.release();
            }
        }

        /** The sandbox with its permit, waiting for its start; empty (permit given back) if it is not usable. */
        Optional<Taken<S>> handOut() {
            if (state.compareAndSet(QUEUED, SKIPPED)) {
                releasePermit(); // not started yet: the caller's own start is as quick
                return Optional.empty();
            }
            S s;
            try {
                s = sandbox.get();
            } catch (ExecutionException e) {
                LOG.log(Level.DEBUG, "starting a sandbox ahead failed; the test starts its own", e.getCause());
                releasePermit();
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                discard();
                return Optional.empty();
            }
            if (!usable.test(s)) {
                discardInBackground(s);
                return Optional.empty();
            }
            return Optional.of(new Taken<>(s, this::releasePermit));
        }

        /** Closes an unusable one off the caller's path, then gives back its permit (a caller may wait for it). */
        private void discardInBackground(S s) {
            Runnable close = () -> {
                closeQuietly(s);
                releasePermit();
            };
            try {
                closer.execute(close);
            } catch (RejectedExecutionException closedMeanwhile) {
                close.run();
            }
        }

        void discard() {
            discarded = true;
            if (state.compareAndSet(QUEUED, SKIPPED)) {
                releasePermit();
            } else if (sandbox.isDone()) {
                cleanUp();
            }
        }

        private void cleanUp() {
            if (!cleaned.compareAndSet(false, true)) {
                return;
            }
            try {
                S s = sandbox.getNow(null);
                if (s != null) {
                    closeQuietly(s);
                }
            } catch (CompletionException e) {
                // never started: nothing to close
            } finally {
                releasePermit();
            }
        }
    }

    private static void closeQuietly(AutoCloseable sandbox) {
        try {
            sandbox.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "closing a sandbox started ahead that no test took failed", e);
        }
    }
}
