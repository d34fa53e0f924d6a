package dev.sandboxed.core.internal.runtime;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;

import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Sandboxes started ahead of time for the specs used last, so the next start with an equal spec takes one that
 * is ready instead of waiting for namespaces, mounts and pivot_root. Test suites start many sandboxes with the
 * same spec (one per test), and the work overlaps with the previous test. At most {@link #MAX_SPECS} specs are
 * kept, one sandbox each; a prestarted sandbox is a fresh one that nothing ran in yet, identical to what a
 * start would create at the moment it was prepared (its bind mounts refer to the sources as they were then).
 * Opt-in ({@code sandboxed.prestart}). Generic over the sandbox handle, so this package does not depend on the API.
 *
 * @param <S> the sandbox handle
 */
public final class Prestarted<S extends AutoCloseable> implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Prestarted.class.getName());
    static final int MAX_SPECS = 2;

    private final Function<SandboxSpec, S> starter;
    private final Predicate<S> running;
    private final Map<SandboxSpec, S> ready = new LinkedHashMap<>();
    private final Set<SandboxSpec> pending = new HashSet<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandboxed-prestart");
        t.setDaemon(true);
        return t;
    });
    private boolean closed;

    public Prestarted(Function<SandboxSpec, S> starter, Predicate<S> running) {
        this.starter = starter;
        this.running = running;
    }

    /** A ready sandbox for {@code spec}, or null. */
    public S take(SandboxSpec spec) {
        S s;
        synchronized (this) {
            s = ready.remove(spec);
        }
        if (s != null && !running.test(s)) {
            closeQuietly(s); // its init died while waiting (OOM killer, a signal from outside): never hand that out
            return null;
        }
        return s;
    }

    /** Starts the next sandbox for {@code spec} in the background, unless one is ready or on its way. */
    public void prepare(SandboxSpec spec) {
        synchronized (this) {
            if (closed || ready.containsKey(spec) || !pending.add(spec)) {
                return;
            }
        }
        Runnable start = () -> {
            S s;
            try {
                s = starter.apply(spec);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "prestarting a sandbox failed; the next start does the work itself", e);
                synchronized (this) {
                    pending.remove(spec);
                }
                return;
            }
            List<S> surplus = new ArrayList<>();
            synchronized (this) {
                pending.remove(spec);
                if (closed) {
                    surplus.add(s);
                } else {
                    ready.put(spec, s);
                    while (ready.size() > MAX_SPECS) {
                        SandboxSpec oldest = ready.keySet().iterator().next();
                        surplus.add(ready.remove(oldest));
                    }
                }
            }
            surplus.forEach(Prestarted::closeQuietly);
        };
        try {
            worker.execute(start);
        } catch (RejectedExecutionException closedMeanwhile) {
            synchronized (this) {
                pending.remove(spec);
            }
        }
    }

    /** Waits until the work handed to the background thread so far is done (at once when closed). */
    public void awaitIdle() {
        DaemonPool.awaitIdle(worker);
    }

    /** Closes every sandbox waiting here; later {@link #prepare} calls do nothing. */
    @Override
    public void close() {
        List<S> waiting;
        synchronized (this) {
            closed = true;
            waiting = new ArrayList<>(ready.values());
            ready.clear();
        }
        DaemonPool.shutdownAndWait(worker, 30);
        synchronized (this) {
            waiting.addAll(ready.values());
            ready.clear();
        }
        waiting.forEach(Prestarted::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable sandbox) {
        try {
            sandbox.close();
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "closing a prestarted sandbox failed", e);
        }
    }
}
