package dev.sandboxed.junit.internal.hermetic;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import dev.sandboxed.junit.internal.cleanup.CleanupSteps;

/**
 * Sandboxed JVMs started ahead, at most {@code capacity}, each used for one test only: a test takes one that fits its
 * key (or starts its own), and afterwards one is started for the next test with the same key, which boots while that
 * test's successors run. The oldest is closed when a new one does not fit; all are closed with the pool.
 */
public final class JvmPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JvmPool.class.getName());
    private final int capacity;
    private final Deque<JvmRun.Prepared> ready = new ArrayDeque<>();
    private boolean closed;

    public JvmPool(int capacity) {
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** A usable JVM prepared for {@code key}, if one is ready; dead ones met on the way are closed. */
    public Optional<JvmRun.Prepared> take(JvmRun.Key key) {
        List<JvmRun.Prepared> dead = new ArrayList<>();
        JvmRun.Prepared found = null;
        synchronized (this) {
            for (var it = ready.iterator(); it.hasNext(); ) {
                JvmRun.Prepared p = it.next();
                if (!p.usable()) {
                    it.remove();
                    dead.add(p);
                } else if (found == null && p.key().equals(key)) {
                    it.remove();
                    found = p;
                }
            }
        }
        dead.forEach(JvmRun.Prepared::close);
        return Optional.ofNullable(found);
    }

    /** Whether a JVM for {@code key} is ready already (then none needs starting). */
    public synchronized boolean has(JvmRun.Key key) {
        return ready.stream().anyMatch(p -> p.key().equals(key));
    }

    /**
     * Starts a JVM for {@code key} ahead, unless one is ready or none are kept. Failing to is the later test's
     * concern, not the current one's: it is logged, and that test starts its own JVM (and fails itself if that fails).
     */
    public void prepareAhead(JvmRun.Key key, Supplier<JvmRun.Prepared> prepare) {
        if (capacity == 0 || has(key)) {
            return;
        }
        JvmRun.Prepared jvm;
        try {
            jvm = prepare.get();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Sandboxed: could not start a sandboxed JVM ahead for the next test, "
                    + "which starts its own: " + e, e);
            return;
        }
        offer(jvm);
    }

    /** Keeps {@code jvm} for a later test, closing the oldest if the pool is full (or {@code jvm} if it is closed). */
    public void offer(JvmRun.Prepared jvm) {
        JvmRun.Prepared evicted = null;
        synchronized (this) {
            if (closed || capacity == 0) {
                evicted = jvm;
            } else {
                if (ready.size() >= capacity) {
                    evicted = ready.removeFirst();
                }
                ready.addLast(jvm);
            }
        }
        if (evicted != null) {
            evicted.close();
        }
    }

    @Override
    public void close() {
        List<JvmRun.Prepared> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(ready);
            ready.clear();
        }
        CleanupSteps steps = new CleanupSteps();
        for (JvmRun.Prepared p : all) {
            steps.run(p::close);
        }
        steps.throwFirstFailure();
    }
}
