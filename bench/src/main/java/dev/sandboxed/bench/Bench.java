package dev.sandboxed.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.runtime.IdMapPlan;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;

/**
 * Start-up benchmark: how long a whole sandbox running {@code /bin/true} takes (P1, and variants), how long
 * an exec into a running sandbox takes (P2), and the same for peers spawned from this JVM (bubblewrap,
 * unshare, crun, a plain spawn). One warm JVM, one run: every case gets warm-up iterations, then N timed
 * iterations; the report gives median and p90 in ms and the ratios the product promises. It asserts
 * nothing and always exits 0 once it ran (2 on bad options).
 *
 * <pre>java -jar bench/target/sandboxed-bench.jar [--iterations N] [--warmup N] [--json FILE]</pre>
 */
public final class Bench {
    static final long MEMORY_LIMIT = 256L * 1024 * 1024;

    private final int iterations;
    private final int warmup;
    private final PrintStream out;
    private final List<Result> results = new ArrayList<>();
    /** P1 with the opt-in prestart: the runtime keeps the next sandbox of a spec started. */
    private final SandboxRuntime prestarting = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(true));
    /** P1, P2 and the variants, as the runtime works by default: every start does all the work. */
    private final SandboxRuntime cold = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(false));
    /** On a hybrid host: a runtime that puts sandbox cgroups into the cgroup2 tree, or null. */
    private CgroupV2Runtime cgroupV2;

    Bench(int iterations, int warmup, PrintStream out) {
        this.iterations = iterations;
        this.warmup = warmup;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        int iterations = 200;
        int warmup = 30;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            try {
                switch (a) {
                    case "--iterations", "-n" -> iterations = positive(a, args[++i]);
                    case "--warmup", "-w" -> warmup = nonNegative(a, args[++i]);
                    case "--json" -> json = Path.of(args[++i]);
                    case "--help", "-h" -> {
                        usage(System.out);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                System.err.println("sandboxed-bench: " + a + " needs a value");
                usage(System.err);
                System.exit(2);
            } catch (IllegalArgumentException e) {
                System.err.println("sandboxed-bench: " + e.getMessage());
                usage(System.err);
                System.exit(2);
            }
        }
        if (json != null && !writable(json)) {
            // Checked now, not after minutes of measuring.
            System.err.println("sandboxed-bench: --json " + json + ": cannot write there (permissions, or a file of another user)");
            System.exit(2);
        }
        Bench bench = new Bench(iterations, warmup, System.out);
        Report report = bench.run();
        report.print(System.out);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report.toJson());
            System.out.println("JSON written to " + json.toAbsolutePath());
        }
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

    private static void usage(PrintStream s) {
        s.println("usage: java -jar sandboxed-bench.jar [--iterations N (200)] [--warmup N (30)] [--json FILE]");
    }

    private static int positive(String option, String value) {
        int v = Integer.parseInt(value);
        if (v < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + value);
        }
        return v;
    }

    private static int nonNegative(String option, String value) {
        int v = Integer.parseInt(value);
        if (v < 0) {
            throw new IllegalArgumentException(option + " must not be negative, got " + value);
        }
        return v;
    }

    // ---------------------------------------------------------------------------------------------------

    /** P1's spec: every default (7 namespaces, pivot_root, fresh /proc and /dev, Docker caps and seccomp) without a cgroup. */
    static SandboxSpec.Builder p1() {
        return SandboxSpec.builder().trackUsage(false);
    }

    Report run() {
        HostFacts facts = HostFacts.current();
        Map<String, Object> env = environment(facts);
        out.printf(Locale.ROOT, "sandboxed-bench: %d warm-up + %d timed iterations per case, as %s (uid %d), %s cores, kernel %s, Java %s%n",
                warmup, iterations, facts.userName(), facts.uid(), env.get("cpus"), env.get("kernel"), env.get("java"));
        out.println("P1 idMapping AUTO resolves to: " + env.get("idMappingAuto") + "; RANGE: " + env.get("idMappingRange"));
        out.println("cgroups: " + env.get("cgroups") + "; load average (1/5/15 min): " + env.get("loadAverageAtStart"));
        if (busy(env.get("loadAverageAtStart"))) {
            out.println("WARNING: the machine is busy (1-minute load average above 0.5): figures will be noisy and inflated;"
                    + " run again on an idle machine");
        }
        out.println();

        // Peers first: nothing of the sandbox runtime (its init server, reader threads) is running yet.
        List<String> plain = List.of(Peers.TRUE);
        List<String> unshare = List.of("unshare", "-Urmpnfiu", "--mount-proc", Peers.TRUE);
        List<String> bwrap = List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                "--proc", "/proc", "--dev", "/dev", Peers.TRUE);
        peer("plain", "plain spawn: /bin/true", plain);
        peer("unshare", "unshare -Urmpnfiu --mount-proc /bin/true", unshare);
        peer("bwrap", "bwrap --unshare-all --ro-bind / / --proc --dev /bin/true", bwrap);
        List<String> whyNot = new ArrayList<>();
        String crunLabel = "crun run (rootless OCI bundle, busybox rootfs, no cgroup)";
        Peers.Crun crun = Peers.Crun.create(whyNot);
        if (crun == null) {
            skip("crun", crunLabel, whyNot.get(0));
        } else {
            measure("crun", crunLabel, () -> Peers.probe(crun.nextCommand()), () -> Peers.spawnAndWait(crun.nextCommand()), null);
        }

        // P2 needs one sandbox running throughout.
        Sandbox running = p2();

        // P1 is a one-shot sandbox running /bin/true (Sandbox.run: what `sandboxed run` and bwrap do); the
        // variants differ from it in one setting. P1 as a @Sandboxed test uses it (start, exec, close) is
        // measured too, with its phases, and on a runtime that prestarts the next sandbox of the spec (opt-in).
        oneShot("p1", "P1: one-shot sandbox running /bin/true (Sandbox.run; defaults, trackUsage off)", p1().build());
        sandbox("p1-start-exec-close", "P1 as start + exec /bin/true + close (how a test uses a sandbox)", p1().build(),
                new Phases(iterations), cold);
        sandbox("p1-prestart", "start + exec + close with sandboxed.prestart=true: the next sandbox is started in the background",
                p1().build(), null, prestarting);
        oneShot("p1-unconfined", "P1, seccomp unconfined", p1().seccomp("unconfined").build());
        oneShot("p1-no-denial-reports", "P1, default seccomp without denial reports", p1().reportSeccompDenials(false).build());
        oneShot("p1-range", "P1, idMapping RANGE (newuidmap)", p1().idMapping(IdMappingMode.RANGE).build());
        oneShot("p1-track-usage", "P1 + cgroup (trackUsage on, no limit)", p1().trackUsage(true).build());
        oneShot("p1-cgroup-memory", "P1 + cgroup (trackUsage on, memory 256 MiB)", p1().trackUsage(true).memory(MEMORY_LIMIT).build());
        cgroupV2 = CgroupV2Runtime.onHybridHost(whyNot);
        String v2Label = "P1 + a cgroup v2 cgroup (trackUsage on; clone3 into it; this hybrid host's bare cgroup2 tree)";
        if (cgroupV2 == null) {
            skip("p1-cgroup-v2", v2Label, whyNot.get(whyNot.size() - 1));
        } else {
            oneShot("p1-cgroup-v2", v2Label, p1().trackUsage(true).build(), cgroupV2.runtime());
        }

        try {
            runRounds();
        } finally {
            if (running != null) {
                running.close();
            }
            if (crun != null) {
                crun.close();
            }
            if (cgroupV2 != null) {
                cgroupV2.close();
            }
            prestarting.close();
            cold.close();
        }
        env.put("loadAverageAtEnd", loadAverage());
        return new Report(env, iterations, warmup, results);
    }

    private void peer(String key, String label, List<String> command) {
        measure(key, label, () -> Peers.probe(command), () -> Peers.spawnAndWait(command), null);
    }

    private void sandbox(String key, String label, SandboxSpec spec, Phases phases, SandboxRuntime runtime) {
        String[] note = new String[1];
        Supplier<Optional<String>> probe = () -> {
            try (Sandbox s = runtime.start(spec)) {
                ExecResult r = s.exec(Peers.TRUE);
                if (!r.succeeded()) {
                    return Optional.of("/bin/true in the sandbox: " + r + "\n" + r.tail(5));
                }
                if (spec.trackUsage() || !spec.limits().isEmpty()) {
                    note[0] = s.usage() == ResourceUsage.NOT_AVAILABLE ? "no cgroup was made (usage not available)" : "cgroup made";
                }
                return Optional.empty();
            } catch (RuntimeException e) {
                return Optional.of(e.toString());
            }
        };
        Runnable op = phases == null
                ? () -> {
                    try (Sandbox s = runtime.start(spec)) {
                        check(s.exec(Peers.TRUE));
                    }
                }
                : () -> {
                    long t0 = System.nanoTime();
                    Sandbox s = runtime.start(spec);
                    long t1;
                    long t2;
                    try {
                        t1 = System.nanoTime();
                        check(s.exec(Peers.TRUE));
                        t2 = System.nanoTime();
                    } finally {
                        s.close();
                    }
                    phases.record(t1 - t0, t2 - t1, System.nanoTime() - t2);
                };
        measure(key, label, probe, op, phases);
        if (note[0] != null && !results.isEmpty()) {
            results.get(results.size() - 1).note = note[0];
        }
    }

    private void oneShot(String key, String label, SandboxSpec spec) {
        oneShot(key, label, spec, cold);
    }

    /** A one-shot sandbox: {@code runtime.run(spec, /bin/true)}, set-up, process and removal in one call. */
    private void oneShot(String key, String label, SandboxSpec spec, SandboxRuntime runtime) {
        ProcessSpec trueProcess = ProcessSpec.of(Peers.TRUE);
        String[] note = new String[1];
        Supplier<Optional<String>> probe = () -> {
            try (Sandbox s = runtime.startWithMain(spec, trueProcess)) {
                ExitStatus status = s.mainProcess().orElseThrow().waitFor();
                if (status.exitCode() != 0) {
                    return Optional.of("/bin/true in the sandbox: " + status);
                }
                if (spec.trackUsage() || !spec.limits().isEmpty()) {
                    note[0] = s.usage() == ResourceUsage.NOT_AVAILABLE ? "no cgroup was made (usage not available)" : "cgroup made";
                }
                return Optional.empty();
            } catch (RuntimeException e) {
                return Optional.of(e.toString());
            }
        };
        measure(key, label, probe, () -> check(runtime.run(spec, trueProcess)), null);
        if (note[0] != null && !results.isEmpty()) {
            results.get(results.size() - 1).note = note[0];
        }
    }

    /** Registers P2; returns the sandbox it execs into (to close after the run), or null when skipped. */
    private Sandbox p2() {
        String label = "P2: exec /bin/true into one running sandbox (P1 spec)";
        Sandbox s;
        try {
            s = cold.start(p1().build());
        } catch (RuntimeException e) {
            skip("p2", label, "cannot start a sandbox: " + e);
            return null;
        }
        measure("p2", label, () -> {
            try {
                ExecResult r = s.exec(Peers.TRUE);
                return r.succeeded() ? Optional.empty() : Optional.of("/bin/true in the sandbox: " + r);
            } catch (RuntimeException e) {
                return Optional.of(e.toString());
            }
        }, () -> check(s.exec(Peers.TRUE)), null);
        return s;
    }

    private static void check(ExecResult r) {
        if (!r.succeeded()) {
            throw new IllegalStateException("/bin/true in the sandbox: " + r);
        }
    }

    private void skip(String key, String label, String reason) {
        out.printf(Locale.ROOT, "  %-22s SKIPPED: %s%n", key, reason);
        results.add(new Result(key, label, null, reason));
    }

    private void measure(String key, String label, Supplier<Optional<String>> probe, Runnable op, Phases phases) {
        Optional<String> why = probe.get();
        if (why.isPresent()) {
            skip(key, label, why.get());
            return;
        }
        out.printf(Locale.ROOT, "  %-22s %s%n", key, label);
        Result r = new Result(key, label, null, null);
        r.op = op;
        r.phaseRecorder = phases;
        results.add(r);
    }

    /**
     * Runs every case that passed its probe: all warm-up rounds first, then the timed rounds. Each round runs
     * every case once, starting one case later each round, so slow drift of the machine (page cache, CPU
     * frequency, other load) spreads over all cases instead of biasing the ones measured last.
     */
    private void runRounds() {
        List<Result> live = new ArrayList<>(results.stream().filter(r -> r.op != null).toList());
        if (live.isEmpty()) {
            return;
        }
        long[][] samples = new long[live.size()][iterations];
        out.printf(Locale.ROOT, "%nwarming up (%d rounds of %d cases) ...%n", warmup, live.size());
        for (int round = 0; round < warmup; round++) {
            for (int c = 0; c < live.size(); c++) {
                Result r = live.get((c + round) % live.size());
                if (r.skipped == null) {
                    settle();
                    runOnce(r);
                }
            }
        }
        for (Result r : live) {
            if (r.phaseRecorder != null) {
                r.phaseRecorder.reset();
            }
        }
        out.printf(Locale.ROOT, "measuring (%d rounds) ", iterations);
        int step = Math.max(1, iterations / 20);
        for (int round = 0; round < iterations; round++) {
            for (int c = 0; c < live.size(); c++) {
                int index = (c + round) % live.size();
                Result r = live.get(index);
                if (r.skipped != null) {
                    continue;
                }
                settle(); // what the case before left to do in the background is not this case's cost
                long busy0 = CpuTime.machineBusyJiffies();
                long t0 = System.nanoTime();
                if (runOnce(r)) {
                    samples[index][round] = System.nanoTime() - t0;
                }
                settle(); // this case's own background work (removals, cgroups made ahead) is its CPU cost
                r.cpuJiffies += CpuTime.machineBusyJiffies() - busy0;
                r.cpuRuns++;
            }
            if (round % step == step - 1) {
                out.print('.');
                out.flush();
            }
        }
        out.println(" done");
        for (int c = 0; c < live.size(); c++) {
            Result r = live.get(c);
            if (r.skipped == null) {
                r.stats = Stats.of(samples[c]);
                r.samples = samples[c];
                if (r.phaseRecorder != null) {
                    r.phases = r.phaseRecorder.summary();
                }
            }
            r.op = null;
            r.phaseRecorder = null;
        }
    }

    /**
     * Waits until no runtime has background work left: the time an operation takes is what its caller waits
     * for, and what it hands to background threads (removing a closed sandbox's cgroups, making the next
     * cgroups ahead, prestarting) shows in the CPU column instead of in the next case's time.
     */
    private void settle() {
        cold.awaitIdle();
        prestarting.awaitIdle();
        if (cgroupV2 != null) {
            cgroupV2.runtime().awaitIdle();
        }
    }

    /** Runs one iteration of a case; a failure marks the case as failed for the rest of the run. */
    private boolean runOnce(Result r) {
        try {
            r.op.run();
            return true;
        } catch (RuntimeException e) {
            r.skipped = "failed while measuring: " + e;
            out.printf(Locale.ROOT, "%n  %s FAILED: %s%n", r.key, e);
            return false;
        }
    }

    private static Map<String, Object> environment(HostFacts facts) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("time", Instant.now().toString());
        env.put("user", facts.userName());
        env.put("uid", facts.uid());
        env.put("kernel", System.getProperty("os.version"));
        env.put("arch", System.getProperty("os.arch"));
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("jdkLaunchMechanism", System.getProperty("jdk.lang.Process.launchMechanism", "default (POSIX_SPAWN)"));
        env.put("loadAverageAtStart", loadAverage());
        env.put("idMappingAuto", describe(IdMapPlan.decide(IdMappingMode.AUTO, facts, UserSpec.ROOT)));
        try {
            env.put("idMappingRange", describe(IdMapPlan.decide(IdMappingMode.RANGE, facts, UserSpec.ROOT)));
        } catch (RuntimeException e) {
            env.put("idMappingRange", "unavailable: " + e.getMessage());
        }
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

    /** Per-iteration split of P1 into Sandbox.start, exec and close. */
    static final class Phases {
        private final long[][] samples;
        private int count;

        Phases(int n) {
            samples = new long[3][n];
        }

        void reset() {
            count = 0;
        }

        void record(long start, long exec, long close) {
            if (count < samples[0].length) {
                samples[0][count] = start;
                samples[1][count] = exec;
                samples[2][count] = close;
                count++;
            }
        }

        Map<String, Stats> summary() {
            if (count == 0) {
                return null;
            }
            Map<String, Stats> m = new LinkedHashMap<>();
            m.put("start", Stats.of(Arrays.copyOf(samples[0], count)));
            m.put("exec", Stats.of(Arrays.copyOf(samples[1], count)));
            m.put("close", Stats.of(Arrays.copyOf(samples[2], count)));
            return m;
        }
    }

    /** One case's outcome: stats, or why it was skipped. */
    static final class Result {
        final String key;
        final String label;
        Stats stats;
        String skipped;
        String note;
        Map<String, Stats> phases;
        Runnable op;
        Phases phaseRecorder;
        /** The timed runs in round order (a round runs every case once), for differences paired by round. */
        long[] samples;
        /** Machine-wide busy CPU over the timed runs and their background work, and how many runs. */
        long cpuJiffies;
        int cpuRuns;

        /** Machine-wide CPU time per run in ms (all processes: the JVM, sandbox-init, peers, kernel threads). */
        Double cpuMsPerRun() {
            return cpuRuns == 0 ? null : cpuJiffies * CpuTime.MS_PER_JIFFY / cpuRuns;
        }

        Result(String key, String label, Stats stats, String skipped) {
            this.key = key;
            this.label = label;
            this.stats = stats;
            this.skipped = skipped;
        }
    }
}
