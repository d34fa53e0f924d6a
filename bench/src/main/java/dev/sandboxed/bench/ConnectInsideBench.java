package dev.sandboxed.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * What the port bypass costs connects made inside a sandbox (the init does each one, see sockcall.c): loops of
 * connects from python3 to a server in the same sandbox, blocking and non-blocking, in a sandbox with
 * sandboxed.publish.bypass=off and one with the default; the two take turns within each run, so load changes hit
 * both alike. Not a test: prints the medians of the runs (us per connect), their ratio to {@code off}, and the load
 * average before and after.
 *
 * <pre>java -cp bench/target/sandboxed-bench.jar dev.sandboxed.bench.ConnectInsideBench [runs] [connects]</pre>
 */
public final class ConnectInsideBench {
    /** argv: count. Connects that many times to a server in the same sandbox; prints us per blocking, non-blocking. */
    private static final String CONNECTS = """
            import select, socket, sys, threading, time
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(512); addr = s.getsockname()
            def serve():
                while True: s.accept()[0].close()
            threading.Thread(target=serve, daemon=True).start()
            n = int(sys.argv[1]); out = []
            for blocking in (True, False):
                t = time.perf_counter()
                for i in range(n):
                    c = socket.socket(); c.setblocking(blocking)
                    if c.connect_ex(addr) != 0: select.select([], [c], [])
                    c.close()
                out.append((time.perf_counter() - t) / n * 1e6)
            print('%.1f %.1f' % tuple(out))
            """;

    /** Medians per sandbox ("off", "bypass"), blocking and non-blocking, in us per connect. */
    record Result(Map<String, List<Double>> blocking, Map<String, List<Double>> nonBlocking) {
    }

    private ConnectInsideBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int connects = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        SandboxSpec spec = SandboxSpec.builder().publish(PortMapping.tcp(8080)).build();
        String before = loadAverage();
        try (Sandbox off = PortForwardBench.startWith(spec, "off");
                Sandbox bypassed = PortForwardBench.startWith(spec, "auto")) {
            Result r = measure(off, bypassed, runs, connects);
            System.out.printf(Locale.ROOT, "%d x %d connects; user %s; load average %s -> %s%n", runs, connects,
                    System.getProperty("user.name"), before, loadAverage());
            PortForwardBench.report("connect inside, blocking, us", r.blocking(), false);
            PortForwardBench.report("connect inside, non-blocking, us", r.nonBlocking(), false);
        }
    }

    /** {@code runs} loops of {@code connects} in each sandbox, taking turns. */
    static Result measure(Sandbox off, Sandbox bypassed, int runs, int connects) {
        Map<String, List<Double>> blocking = new LinkedHashMap<>(), nonBlocking = new LinkedHashMap<>();
        for (int i = 0; i < runs; i++) {
            for (Sandbox s : List.of(off, bypassed)) {
                String[] us = s.exec("python3", "-c", CONNECTS, Integer.toString(connects)).stdout().strip().split(" ");
                String name = s == off ? "off" : "bypass";
                blocking.computeIfAbsent(name, k -> new ArrayList<>()).add(Double.parseDouble(us[0]));
                nonBlocking.computeIfAbsent(name, k -> new ArrayList<>()).add(Double.parseDouble(us[1]));
            }
        }
        return new Result(blocking, nonBlocking);
    }

    private static String loadAverage() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
