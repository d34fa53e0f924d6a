package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Sandboxes started ahead of time for the specs used last, so the next start with an equal spec takes one that
 * is ready instead of waiting for namespaces, mounts and pivot_root. Test suites start many sandboxes with the
 * same spec (one per test), and the work overlaps with the previous test. At most {@link #MAX_SPECS} specs are
 * kept, one sandbox each; a prestarted sandbox is a fresh one that nothing ran in yet. One whose host state
 * changed since its set-up ({@link PreparedFreshness}) is not handed out: the caller then starts its own, as it
 * would without this. One is closed once it waited {@link #MAX_AGE}. A spec whose sandbox was pushed out unused by
 * newer specs' skips its next set-up ahead: where more specs take turns than are kept, that one would be pushed out
 * too, while a spec that comes back after a phase of others is set up ahead again from its next use. Generic over the
 * sandbox handle, so this package does not depend on the API.
 *
 * @param <S> the sandbox handle
 */
public final class Prestarted<S> implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Prestarted.class.getName());
    static final int MAX_SPECS = 2;
    /** Bounds the memory of specs pushed out; one forgotten is set up ahead once more, to be pushed out again. */
    private static final int MAX_CROWDED_OUT = 64;
    /** Long enough for a test suite's pause between two tests, short enough that what the checks miss is recent. */
    public static final Duration MAX_AGE = Duration.ofSeconds(30);
    /** A set-up under way is waited for rather than started again beside it (the server does one at a time). */
    private static final long PENDING_WAIT_MILLIS = 10_000;

    /** What a sandbox set up ahead depended on, taken before its set-up ({@link PreparedFreshness}). */
    public interface Snapshot {
        /** Why a sandbox of {@code spec} set up after this was taken must not be used now, if it must not. */
        Optional<String> staleness(SandboxSpec spec);
    }

    /** Closes what waited too long; its one daemon thread ends when nothing is scheduled. */
    private static final ScheduledThreadPoolExecutor EXPIRY = expiryScheduler();

    private static final class Ready<S> {
        final S sandbox;
        final Snapshot snapshot;
        final long madeAtNanos = System.nanoTime();
        volatile ScheduledFuture<?> expiry;

        Ready(S sandbox, Snapshot snapshot) {
            this.sandbox = sandbox;
            this.snapshot = snapshot;
        }

        /** Done with it: the scheduled expiry (and what it refers to) goes at once. */
        S release() {
            ScheduledFuture<?> e = expiry;
            if (e != null) {
                e.cancel(false);
            }
            return sandbox;
        }
    }

    private final Function<SandboxSpec, S> starter;
    private final Function<SandboxSpec, ? extends Snapshot> snapshots;
    private final Predicate<S> usable;
    private final Consumer<S> discard;
    private final Duration maxAge;
    private final Map<SandboxSpec, Ready<S>> ready = new LinkedHashMap<>();
    private final Set<SandboxSpec> pending = new HashSet<>();
    private final Set<SandboxSpec> crowdedOut = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SandboxSpec, Boolean> eldest) {
            return size() > MAX_CROWDED_OUT;
        }
    });
    private final ExecutorService worker;
    private boolean closed;
    private long handedOut;

    /**
     * @param starter   starts a sandbox for a spec (on the background thread)
     * @param snapshots takes what a set-up of a spec depends on, just before it
     * @param usable    whether a ready sandbox is still fit to hand out (its init alive and quiet)
     * @param discard   closes a sandbox that is not handed out
     * @param maxAge    how long a ready sandbox is kept; then it is closed
     */
    public Prestarted(String threadName, Function<SandboxSpec, S> starter,
            Function<SandboxSpec, ? extends Snapshot> snapshots, Predicate<S> usable, Consumer<S> discard,
            Duration maxAge) {
        this.starter = starter;
        this.snapshots = snapshots;
        this.usable = usable;
        this.discard = discard;
        this.maxAge = maxAge;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** A ready sandbox for {@code spec}, or null; waits for one that is being set up. */
    public S take(SandboxSpec spec) {
        return take(spec, true);
    }

    /**
     * A ready sandbox for {@code spec}, or null; with {@code waitForPending}, waits for one that is being set up
     * (cheaper than a second set-up beside it when nothing else runs).
     */
    public S take(SandboxSpec spec, boolean waitForPending) {
        Ready<S> r;
        synchronized (this) {
            if (waitForPending) {
                awaitNotPending(spec);
            }
            r = ready.remove(spec);
        }
        if (r == null) {
            return null;
        }
        S sandbox = r.release();
        Optional<String> unfit;
        try {
            unfit = System.nanoTime() - r.madeAtNanos > maxAge.toNanos()
                    ? Optional.of("set up more than " + maxAge.toSeconds() + " s ago")
                    : r.snapshot.staleness(spec)
                            .or(() -> usable.test(sandbox) ? Optional.empty() : Optional.of("its init is gone or spoke"));
        } catch (RuntimeException e) {
            unfit = Optional.of("checking it failed: " + e.getMessage());
        }
        if (unfit.isPresent()) {
            // Its init died while waiting (OOM killer, a signal from outside), or a fresh one would differ.
            LOG.log(Level.DEBUG, "not using a sandbox set up ahead: " + unfit.get());
            discardInBackground(sandbox);
            return null;
        }
        synchronized (this) {
            handedOut++;
        }
        return sandbox;
    }

    private void awaitNotPending(SandboxSpec spec) {
        long deadline = System.nanoTime() + PENDING_WAIT_MILLIS * 1_000_000L;
        boolean interrupted = false;
        while (pending.contains(spec) && !closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                interrupted = true;
                break; // the caller starts its own, and sees its interrupt there
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the next sandbox for {@code spec} in the background, unless one is ready or on its way. */
    public void prepare(SandboxSpec spec) {
        synchronized (this) {
            if (closed || ready.containsKey(spec) || crowdedOut.remove(spec) || !pending.add(spec)) {
                return;
            }
        }
        try {
            worker.execute(() -> startFor(spec));
        } catch (RejectedExecutionException closedMeanwhile) {
            synchronized (this) {
                pending.remove(spec);
                notifyAll();
            }
        }
    }

    private void startFor(SandboxSpec spec) {
        Ready<S> made = null;
        try {
            Snapshot snapshot = snapshots.apply(spec);
            made = new Ready<>(starter.apply(spec), snapshot);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "prestarting a sandbox failed; the next start does the work itself", e);
        } finally {
            if (made == null) {
                synchronized (this) {
                    pending.remove(spec);
                    notifyAll();
                }
            }
        }
        if (made == null) {
            return;
        }
        List<S> surplus = new ArrayList<>();
        synchronized (this) {
            pending.remove(spec);
            notifyAll();
            if (closed) {
                surplus.add(made.sandbox);
            } else {
                ready.put(spec, made);
                while (ready.size() > MAX_SPECS) {
                    SandboxSpec oldest = ready.keySet().iterator().next();
                    surplus.add(ready.remove(oldest).release());
                    crowdedOut.add(oldest);
                }
                // One nobody takes must not hold its init, cgroup and bind sources until the JVM exits.
                Ready<S> expiring = made;
                made.expiry = EXPIRY.schedule(() -> expireLater(spec, expiring), maxAge.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        surplus.forEach(this::discardQuietly);
    }

    private void expireLater(SandboxSpec spec, Ready<S> made) {
        try {
            worker.execute(() -> expire(spec, made));
        } catch (RejectedExecutionException closedMeanwhile) {
            // close() discarded it
        }
    }

    private void expire(SandboxSpec spec, Ready<S> made) {
        synchronized (this) {
            if (ready.get(spec) != made) {
                return; // taken, replaced or discarded already
            }
            ready.remove(spec);
        }
        discardQuietly(made.sandbox);
    }

    private static ScheduledThreadPoolExecutor expiryScheduler() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sandboxed-prestart-expiry");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setKeepAliveTime(10, TimeUnit.SECONDS);
        scheduler.allowCoreThreadTimeOut(true);
        return scheduler;
    }

    /** The sandboxes ready now (for tests). */
    public synchronized List<S> readyNow() {
        List<S> now = new ArrayList<>();
        ready.values().forEach(r -> now.add(r.sandbox));
        return now;
    }

    /** How many sandboxes were handed out so far (for tests). */
    public synchronized long handedOut() {
        return handedOut;
    }

    /** Waits until the work handed to the background thread so far is done (at once when closed). */
    public void awaitIdle() {
        DaemonPool.awaitIdle(worker);
    }

    /** Closes every sandbox waiting here; later {@link #prepare} calls do nothing. */
    @Override
    public void close() {
        List<S> waiting = new ArrayList<>();
        synchronized (this) {
            closed = true;
            notifyAll();
            ready.values().forEach(r -> waiting.add(r.release()));
            ready.clear();
        }
        DaemonPool.shutdownAndWait(worker, 30);
        synchronized (this) {
            ready.values().forEach(r -> waiting.add(r.release()));
            ready.clear();
        }
        waiting.forEach(this::discardQuietly);
    }

    private void discardInBackground(S sandbox) {
        try {
            worker.execute(() -> discardQuietly(sandbox));
        } catch (RejectedExecutionException closedMeanwhile) {
            discardQuietly(sandbox);
        }
    }

    private void discardQuietly(S sandbox) {
        try {
            discard.accept(sandbox);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "closing a prestarted sandbox failed", e);
        }
    }
}
