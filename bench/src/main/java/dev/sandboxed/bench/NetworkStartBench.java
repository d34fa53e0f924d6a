package dev.sandboxed.bench;

import java.util.Locale;

import dev.sandboxed.core.Network;
import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * The start cost of a sandbox on a per-test network against one with the default network ({@code none}: its own
 * namespace, only {@code lo}). Each round starts one of each, the order alternating, and times {@code start} until
 * the sandbox is ready; the close is not timed. Not a test: prints medians and the median of the per-round
 * differences (issue 14's target: under 1 ms more).
 *
 * <pre>java -cp bench/target/sandboxed-bench.jar dev.sandboxed.bench.NetworkStartBench [rounds] [warm-up] [idle ms]</pre>
 *
 * With an idle time, each start follows that long a sleep, as in a test suite that works between starts: the
 * runtime's background work (a network's slots made again after a member took one) then has time to finish.
 */
public final class NetworkStartBench {
    private NetworkStartBench() {
    }

    @SuppressWarnings("try") // the network is held open for the rounds only
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int idleMs = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties());
        SandboxSpec none = SandboxSpec.builder().hostname("member").build();
        SandboxSpec member = SandboxSpec.builder().hostname("member").joinNetwork("bench").build();
        System.out.printf(Locale.ROOT, "%d rounds after %d warm-up rounds, %d ms idle before each start; user %s; load %s%n",
                rounds, warmup, idleMs, System.getProperty("user.name"), Bench.loadAverage());
        long[] withNone = new long[rounds];
        long[] onNetwork = new long[rounds];
        try (Network net = runtime.createNetwork("bench")) {
            for (int i = -warmup; i < rounds; i++) {
                boolean noneFirst = (i & 1) == 0;
                long a = time(runtime, noneFirst ? none : member, idleMs);
                long b = time(runtime, noneFirst ? member : none, idleMs);
                if (i >= 0) {
                    withNone[i] = noneFirst ? a : b;
                    onNetwork[i] = noneFirst ? b : a;
                }
            }
        }
        Stats n = Stats.of(withNone);
        Stats m = Stats.of(onNetwork);
        System.out.printf(Locale.ROOT, "  none:    median %.3f ms  p90 %.3f  min %.3f%n", n.medianMs(), n.p90Ms(), n.minMs());
        System.out.printf(Locale.ROOT, "  network: median %.3f ms  p90 %.3f  min %.3f%n", m.medianMs(), m.p90Ms(), m.minMs());
        System.out.printf(Locale.ROOT, "  network - none, median of paired differences: %+.3f ms (target < 1 ms)%n",
                Stats.pairedMedianDifferenceMs(onNetwork, withNone));
        System.out.printf(Locale.ROOT, "load at end %s%n", Bench.loadAverage());
        runtime.close();
    }

    private static long time(SandboxRuntime runtime, SandboxSpec spec, int idleMs) throws InterruptedException {
        if (idleMs > 0) {
            Thread.sleep(idleMs);
        }
        long start = System.nanoTime();
        Sandbox sandbox = runtime.start(spec);
        long took = System.nanoTime() - start;
        sandbox.close();
        return took;
    }
}
