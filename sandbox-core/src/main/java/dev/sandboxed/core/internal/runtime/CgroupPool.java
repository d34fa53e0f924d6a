package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Sandbox cgroups made ahead of need, so that a start takes one that exists, limits written, instead of
 * creating it: the mkdirs, limit writes and checks leave the start's path and overlap with the previous
 * sandbox's run. Test suites start many sandboxes with the same limits, so cgroups are kept per
 * {@link ResourceLimits} value ({@link #MAX_LIMITS} values, {@code depth} cgroups each), refilled after each take.
 *
 * <p>A pooled cgroup comes with its sandbox id and state entry (lock held, directories recorded), exactly as
 * a starting sandbox has them; so a JVM killed while holding one leaves nothing the next runtime does not remove.
 * A fresh cgroup has no history, so a pooled one is as good as one made at start: counters start at zero.
 */
public final class CgroupPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CgroupPool.class.getName());
    public static final int MAX_LIMITS = 4;

    /** What a sandbox's cgroup is made for: its limits, and whether its processes die with its init. */
    public record Key(ResourceLimits limits, boolean diesWithInit) {
    }

    /** A process of {@code server} waiting in a pooled cgroup to clone the init there ({@link InitServer#park}). */
    public record Parked(InitServer server, int id) {
        /** Lets it go; removing its cgroup kills it if it is still there. */
        void release() {
            try {
                server.unpark(id);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "unparking a process failed; removing its cgroup kills it", e);
            }
        }
    }

    /**
     * A cgroup with the id and state entry it was made for, and the process parked in it if any (null: none); the
     * taker owns them all.
     */
    public record Slot(String id, StateDirectory.Entry state, SandboxCgroup cgroup, Parked parked) {
        void release() {
            try {
                if (parked != null) {
                    parked.release();
                }
                cgroup.close();
            } finally {
                state.remove();
            }
        }
    }

    private final int depth;
    private final Function<Key, Slot> maker;
    /** Access order: the limits used longest ago are dropped first. */
    private final LinkedHashMap<Key, Deque<Slot>> ready = new LinkedHashMap<>(8, 0.75f, true);
    private final Map<Key, Integer> making = new HashMap<>();
    private final ExecutorService worker = DaemonPool.background("sandboxed-cgroup-pool");
    private boolean closed;

    /** {@code depth} 0 keeps nothing: every take misses and nothing is made in the background. */
    public CgroupPool(int depth, Function<Key, Slot> maker) {
        this.depth = depth;
        this.maker = maker;
    }

    /** A ready cgroup for {@code key}, or null. */
    public synchronized Slot take(Key limits) {
        Deque<Slot> slots = ready.get(limits);
        return slots == null ? null : slots.pollFirst();
    }

    /** Makes cgroups for {@code limits} in the background until {@code depth} are ready or on their way. */
    public void refill(Key limits) {
        int missing;
        synchronized (this) {
            if (closed || depth == 0) {
                return;
            }
            Deque<Slot> slots = ready.computeIfAbsent(limits, k -> new ArrayDeque<>());
            missing = depth - slots.size() - making.getOrDefault(limits, 0);
            if (missing <= 0) {
                return;
            }
            making.merge(limits, missing, Integer::sum);
        }
        for (int i = 0; i < missing; i++) {
            try {
                worker.execute(() -> make(limits));
            } catch (RejectedExecutionException closedMeanwhile) {
                synchronized (this) {
                    making.computeIfPresent(limits, (k, n) -> n > 1 ? n - 1 : null);
                }
            }
        }
    }

    private void make(Key limits) {
        Slot slot = null;
        try {
            slot = maker.apply(limits);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "making a cgroup ahead failed; the next start makes its own", e);
        }
        List<Slot> surplus = new ArrayList<>();
        synchronized (this) {
            making.computeIfPresent(limits, (k, n) -> n > 1 ? n - 1 : null);
            if (slot != null) {
                Deque<Slot> slots = ready.get(limits);
                if (closed || slots == null) {
                    surplus.add(slot);
                } else {
                    slots.addLast(slot);
                }
            }
            while (ready.size() > MAX_LIMITS) {
                Iterator<Map.Entry<Key, Deque<Slot>>> eldest = ready.entrySet().iterator();
                surplus.addAll(eldest.next().getValue());
                eldest.remove();
            }
        }
        releaseAll(surplus);
    }

    /** Waits until the work handed to the background thread so far is done (at once when closed). */
    public void awaitIdle() {
        DaemonPool.awaitIdle(worker);
    }

    /** How many cgroups are ready now, over all limits. */
    synchronized int readyCount() {
        return ready.values().stream().mapToInt(Deque::size).sum();
    }

    /** Removes every ready cgroup and its state entry; later refills do nothing. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        DaemonPool.shutdownAndWait(worker, 30);
        List<Slot> all = new ArrayList<>();
        synchronized (this) {
            ready.values().forEach(all::addAll);
            ready.clear();
        }
        releaseAll(all);
    }

    private static void releaseAll(List<Slot> slots) {
        for (Slot s : slots) {
            try {
                s.release();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "removing pooled cgroup " + s.cgroup().directories() + " failed", e);
            }
        }
    }
}
