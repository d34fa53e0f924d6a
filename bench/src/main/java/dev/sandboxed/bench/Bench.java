package dev.sandboxed.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.runtime.IdMapPlan;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.UserSpec;

/**
 * What a user waits for: sandbox start-up and exec latencies against bubblewrap, unshare and a plain spawn, round
 * by round with nothing waited for in between (P1, P2), throughput with 4 in flight and the machine's CPU per
 * item (P3), host memory per idle sandbox (P4), the cost of {@code @Sandboxed} per JUnit test (P5) and of
 * {@code jvm = true} against Surefire's fresh JVMs (P6). One JVM, one run; it asserts nothing and exits 0 once it
 * ran (2 on bad options).
 *
 * <pre>java -jar bench/target/sandboxed-bench.jar [--rounds N] [--warmup N] [--repeats N] [--p6-tests N] [--cases A,B]
 *     [--json FILE]</pre>
 */
public final class Bench {
    static final int DEFAULT_ROUNDS = 200;

    /** Every group, in the order they run. */
    static List<BenchGroup> groups() {
        return List.of(new LatencyBench(), new ThroughputBench(), new MemoryBench(), new JUnitBench(), new JvmBench());
    }

    private Bench() {
    }

    public static void main(String[] args) throws IOException {
        List<BenchGroup> groups = groups();
        BenchOptions options;
        try {
            options = parse(args, groups);
        } catch (IllegalArgumentException e) {
            System.err.println("sandboxed-bench: " + e.getMessage());
            usage(System.err, groups);
            System.exit(2);
            return;
        }
        if (options == null) {
            usage(System.out, groups);
            return;
        }
        PrintStream out = System.out;
        Map<String, Object> env = environment();
        out.printf(Locale.ROOT, "sandboxed-bench as %s (uid %s), %s cores, kernel %s, %s%n", env.get("user"),
                env.get("uid"), env.get("cpus"), env.get("kernel"), env.get("java"));
        out.println("idMapping AUTO resolves to: " + env.get("idMappingAuto") + "; cgroups: " + env.get("cgroups")
                + "; cgroup parent: " + env.get("cgroupParent"));
        out.println("load average (1/5/15 min): " + env.get("loadAverageAtStart"));
        if (busy(env.get("loadAverageAtStart"))) {
            out.println("WARNING: the machine is busy (1-minute load average above 0.5): every figure is inflated and"
                    + " noisy, and the CPU figures count the other load too; measure again on a quiet machine");
        }
        Map<String, Object> results = new LinkedHashMap<>();
        for (BenchGroup g : groups) {
            if (options.selects(g)) {
                out.println();
                results.put(g.name(), g.run(options, out));
            }
        }
        env.put("loadAverageAtEnd", loadAverage());
        out.println();
        out.println("load average at start / end: " + env.get("loadAverageAtStart") + " / " + env.get("loadAverageAtEnd"));
        if (options.json() != null) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("environment", env);
            root.put("rounds", options.rounds());
            root.put("warmup", options.warmup());
            root.put("repeats", options.repeats());
            root.put("unit", "ms");
            root.put("groups", results);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(options.json().toFile(), root);
            out.println("JSON written to " + options.json().toAbsolutePath());
        }
    }

    /** The options, or null for --help. */
    static BenchOptions parse(String[] args, List<BenchGroup> groups) {
        Integer rounds = null;
        Integer warmup = null;
        Integer repeats = null;
        int p6Tests = JvmBench.DEFAULT_TESTS;
        Set<String> cases = new LinkedHashSet<>();
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (List.of("--help", "-h").contains(a)) {
                return null;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a.startsWith("-") ? a + " needs a value" : "unknown argument " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--rounds", "-n" -> rounds = atLeast(a, v, 1);
                case "--warmup", "-w" -> warmup = atLeast(a, v, 0);
                case "--repeats" -> repeats = atLeast(a, v, 1);
                case "--p6-tests" -> {
                    p6Tests = atLeast(a, v, 1);
                    if (p6Tests > JvmBench.MAX_TESTS) {
                        throw new IllegalArgumentException(a + " must be at most " + JvmBench.MAX_TESTS + ", got " + v);
                    }
                }
                case "--cases" -> {
                    for (String c : v.split(",")) {
                        if (!c.isBlank()) {
                            cases.add(c.strip());
                        }
                    }
                }
                case "--json" -> json = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        Set<String> known = new TreeSet<>();
        for (BenchGroup g : groups) {
            known.add(g.name());
            known.addAll(g.caseNames());
        }
        for (String c : cases) {
            if (!known.contains(c)) {
                throw new IllegalArgumentException("--cases: unknown case '" + c + "'; allowed: " + String.join(", ", known));
            }
        }
        if (json != null && !writable(json)) {
            // Checked now, not after minutes of measuring.
            throw new IllegalArgumentException("--json " + json + ": cannot write there (permissions, or a file of another user)");
        }
        int r = rounds == null ? DEFAULT_ROUNDS : rounds;
        // A quick run (--rounds 10) shrinks the warm-up and the repeats with it unless they are given.
        int w = warmup != null ? warmup : Math.max(2, Math.min(20, r / 10));
        int p = repeats != null ? repeats : (r < 50 ? 2 : 5);
        return new BenchOptions(r, w, p, p6Tests, Set.copyOf(cases), json);
    }

    /** The file can be written: it exists and is writable, or its directory can be made and written. */
    private static boolean writable(Path file) {
        Path absolute = file.toAbsolutePath();
        if (Files.exists(absolute)) {
            return Files.isRegularFile(absolute) && Files.isWritable(absolute);
        }
        try {
            Files.createDirectories(absolute.getParent());
        } catch (IOException e) {
            return false;
        }
        return Files.isWritable(absolute.getParent());
    }

    private static void usage(PrintStream s, List<BenchGroup> groups) {
        s.println("usage: java -jar sandboxed-bench.jar [--rounds N (" + DEFAULT_ROUNDS + ")] [--warmup N (rounds/10, <= 20)]"
                + " [--repeats N (5; 2 with fewer than 50 rounds)] [--p6-tests N (" + JvmBench.DEFAULT_TESTS + ", <= "
                + JvmBench.MAX_TESTS + ")] [--cases A,B,...] [--json FILE]");
        List<String> names = new ArrayList<>();
        for (BenchGroup g : groups) {
            names.add(g.name() + (g.caseNames().isEmpty() ? "" : " (" + String.join(", ", new TreeSet<>(g.caseNames())) + ")"));
        }
        s.println("cases: a group, or single cases of the latency group: " + String.join("; ", names));
        s.println("quick smoke run: --rounds 10");
    }

    private static int atLeast(String option, String value, int min) {
        int v;
        try {
            v = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a whole number, got '" + value + "'");
        }
        if (v < min) {
            throw new IllegalArgumentException(option + " must be at least " + min + ", got " + value);
        }
        return v;
    }

    private static Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("time", Instant.now().toString());
        env.put("kernel", System.getProperty("os.version"));
        env.put("arch", System.getProperty("os.arch"));
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("jdkLaunchMechanism", System.getProperty("jdk.lang.Process.launchMechanism", "default (POSIX_SPAWN)"));
        env.put("loadAverageAtStart", loadAverage());
        try {
            HostFacts facts = HostFacts.current();
            env.put("user", facts.userName());
            env.put("uid", facts.uid());
            env.put("idMappingAuto", describe(IdMapPlan.decide(IdMappingMode.AUTO, facts, UserSpec.ROOT)));
        } catch (RuntimeException e) {
            env.put("user", System.getProperty("user.name"));
            env.put("idMappingAuto", "unknown: " + e.getMessage());
        }
        env.put("cgroupParent", System.getProperty("sandboxed.cgroup.parent", "(none)"));
        try {
            env.put("cgroups", SandboxRuntime.shared().cgroupVersion());
        } catch (RuntimeException e) {
            env.put("cgroups", "unknown: " + e);
        }
        return env;
    }

    /** The first three fields of /proc/loadavg, or "unknown". */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static boolean busy(Object loadAverage) {
        try {
            return Double.parseDouble(String.valueOf(loadAverage).split(" ")[0]) > 0.5;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String describe(IdMapPlan plan) {
        if (!plan.uidMapCommand().isEmpty()) {
            return "newuidmap/newgidmap range of " + (plan.highestId() + 1) + " ids";
        }
        return "direct uid_map '" + plan.uidMap() + "'" + plan.setgroups().map(s -> ", setgroups " + s).orElse("");
    }
}
