package dev.sandboxed.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * P3: 200 one-shot sandboxes ({@code Sandbox.run(defaults, /bin/true)}) with 4 in flight against 200 bwrap runs
 * with 4 in flight, batches alternating. Per batch: the wall time until the last item ended, and the whole
 * machine's busy CPU per item from /proc/stat, counted until the work the batch left is done too (the runtime's
 * background removals, and a fixed tail for the kernel workers that tear namespaces down). On 2 cores, CPU per
 * item is what bounds throughput.
 */
final class ThroughputBench implements BenchGroup {
    static final int ITEMS = 200;
    static final int IN_FLIGHT = 4;
    /** After a batch: time for the kernel's deferred namespace teardown (cleanup_net and friends), same for both. */
    static final int TAIL_MS = 300;

    /** One batch's outcome. */
    record Batch(String kind, double wallMs, double cpuMsPerItem) {
        Batch named(String name) {
            return new Batch(name, wallMs, cpuMsPerItem);
        }
    }

    @Override
    public String name() {
        return "p3";
    }

    @Override
    public Map<String, Object> run(BenchOptions options, PrintStream out) {
        out.printf(Locale.ROOT, "== p3: %d one-shot sandboxes vs %d bwrap runs, %d in flight, %d alternating batches each%n",
                ITEMS, ITEMS, IN_FLIGHT, options.repeats());
        Map<String, Object> json = new LinkedHashMap<>();
        Optional<String> why = Peers.probe(LatencyBench.BWRAP);
        if (why.isPresent()) {
            out.println("  SKIPPED: " + why.get());
            json.put("skipped", why.get());
            return json;
        }
        SandboxSpec spec = SandboxSpec.defaults();
        Runnable sandboxed = () -> {
            if (!Sandbox.run(spec, LatencyBench.TRUE).succeeded()) {
                throw new IllegalStateException("/bin/true in the sandbox failed");
            }
        };
        Runnable bwrap = () -> Peers.spawnAndWait(LatencyBench.BWRAP);
        List<Batch> batches = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(IN_FLIGHT);
        try {
            double floor = idleFloor();
            out.printf(Locale.ROOT, "  machine busy while this JVM idles: %.1f ms CPU per second (other load; counted in"
                    + " every batch alike)%n", floor);
            batch(pool, sandboxed, ITEMS / 4); // warm-up: JIT, the server, the cgroup pool
            batch(pool, bwrap, ITEMS / 4);
            out.print("  batches ");
            for (int i = 0; i < options.repeats(); i++) {
                // Alternate which goes first, so neither always follows the other's leftovers.
                boolean sandboxFirst = i % 2 == 0;
                for (int j = 0; j < 2; j++) {
                    boolean isSandbox = (j == 0) == sandboxFirst;
                    batches.add(isSandbox ? batch(pool, sandboxed, ITEMS).named("sandboxed")
                            : batch(pool, bwrap, ITEMS).named("bwrap"));
                    out.print('.');
                    out.flush();
                }
            }
            out.println(" done");
            json.put("machineBusyWhileIdleMsPerSecond", floor);
        } catch (RuntimeException e) {
            out.println("  FAILED: " + e);
            json.put("skipped", "failed while measuring: " + e);
            return json;
        } finally {
            pool.shutdownNow();
        }
        double[] sWall = values(batches, "sandboxed", true);
        double[] bWall = values(batches, "bwrap", true);
        double[] sCpu = values(batches, "sandboxed", false);
        double[] bCpu = values(batches, "bwrap", false);
        double[] speedups = new double[sWall.length];
        double[] cpuRatios = new double[sWall.length];
        for (int i = 0; i < sWall.length; i++) {
            speedups[i] = bWall[i] / sWall[i];
            cpuRatios[i] = sCpu[i] / bCpu[i];
        }
        double speedup = Stats.median(bWall) / Stats.median(sWall);
        double cpuRatio = Stats.median(sCpu) / Stats.median(bCpu);
        out.printf(Locale.ROOT, "%-34s %12s %12s%n", "P3 (medians of the batches)", "sandboxed", "bwrap");
        out.printf(Locale.ROOT, "%-34s %12.0f %12.0f%n", "  wall time of 200, ms", Stats.median(sWall), Stats.median(bWall));
        out.printf(Locale.ROOT, "%-34s %12.2f %12.2f%n", "  items per second", ITEMS * 1000 / Stats.median(sWall),
                ITEMS * 1000 / Stats.median(bWall));
        out.printf(Locale.ROOT, "%-34s %12.2f %12.2f%n", "  machine CPU per item, ms", Stats.median(sCpu), Stats.median(bCpu));
        out.printf(Locale.ROOT, "  speed-up, bwrap wall / sandboxed wall: %.3f of medians | %.3f median of pairs   goal >= 1.70: %s%n",
                speedup, Stats.median(speedups), speedup >= 1.7 ? "met" : "NOT met");
        out.printf(Locale.ROOT, "  CPU per item, sandboxed / bwrap:       %.3f of medians | %.3f median of pairs   goal <= 0.60: %s%n",
                cpuRatio, Stats.median(cpuRatios), cpuRatio <= 0.6 ? "met" : "NOT met");
        json.put("items", ITEMS);
        json.put("inFlight", IN_FLIGHT);
        json.put("tailMs", TAIL_MS);
        json.put("batches", batches);
        json.put("sandboxedWallMs", Stats.median(sWall));
        json.put("bwrapWallMs", Stats.median(bWall));
        json.put("sandboxedCpuMsPerItem", Stats.median(sCpu));
        json.put("bwrapCpuMsPerItem", Stats.median(bCpu));
        json.put("speedupOfMedians", speedup);
        json.put("speedupMedianOfPairs", Stats.median(speedups));
        json.put("speedupTarget", 1.7);
        json.put("cpuRatioOfMedians", cpuRatio);
        json.put("cpuRatioMedianOfPairs", Stats.median(cpuRatios));
        json.put("cpuRatioTarget", 0.6);
        return json;
    }

    private static double[] values(List<Batch> batches, String kind, boolean wall) {
        return batches.stream().filter(b -> b.kind().equals(kind)).mapToDouble(b -> wall ? b.wallMs() : b.cpuMsPerItem())
                .toArray();
    }

    /** The machine's busy CPU per second over one second in which this JVM does nothing. */
    private static double idleFloor() {
        long j0 = CpuTime.machineBusyJiffies();
        long t0 = System.nanoTime();
        sleep(1000);
        return (CpuTime.machineBusyJiffies() - j0) * CpuTime.MS_PER_JIFFY / ((System.nanoTime() - t0) / 1e9);
    }

    /** Runs {@code items} operations with {@link #IN_FLIGHT} at a time. */
    private static Batch batch(ExecutorService pool, Runnable op, int items) {
        SandboxRuntime.shared().awaitIdle(); // a batch starts on its own: the one before may not leave it work
        sleep(TAIL_MS);
        long cpu0 = CpuTime.machineBusyJiffies();
        long t0 = System.nanoTime();
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < IN_FLIGHT; w++) {
            workers.add(pool.submit(() -> {
                while (next.getAndIncrement() < items) {
                    op.run();
                }
            }));
        }
        for (Future<?> f : workers) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("an item failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        double wallMs = (System.nanoTime() - t0) / 1e6;
        SandboxRuntime.shared().awaitIdle(); // what the batch handed to the background is its CPU too
        sleep(TAIL_MS);
        double cpuMs = (CpuTime.machineBusyJiffies() - cpu0) * CpuTime.MS_PER_JIFFY;
        return new Batch("", wallMs, cpuMs / items);
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
