package dev.sandboxed.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * P1 and P2 beside their peers, as a user meets them: every case runs once per round, the order rotated by one
 * each round, and nothing waits for the runtime's background work (removal of the last sandbox, cgroups made
 * ahead) before a timed operation: it competes for the cores as in real use. The after-idle variants sleep 20 ms or
 * 200 ms first, as a test suite does work between sandboxes. Reported: median and p90 per case, ratios of medians
 * and medians of the per-round ratios, and added costs as medians of per-round differences.
 */
final class LatencyBench implements BenchGroup {
    static final ProcessSpec TRUE = ProcessSpec.of(Peers.TRUE);
    static final long MEMORY_LIMIT = 256L * 1024 * 1024;
    static final List<String> UNSHARE = List.of("unshare", "-Urmpnfiu", "--mount-proc", Peers.TRUE);
    static final List<String> BWRAP = List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
            "--proc", "/proc", "--dev", "/dev", Peers.TRUE);

    /** What a case does: a probe that says why it cannot run (empty when it can) and the timed operation. */
    record Body(Supplier<Optional<String>> probe, Runnable op, Runnable untimedBefore) {
        Body(Supplier<Optional<String>> probe, Runnable op) {
            this(probe, op, null);
        }
    }

    /** A case: its key (for --cases), description, idle time before each timed run, and how to make its body. */
    record Def(String key, String label, int idleMs, boolean byDefault, Supplier<Body> body) {
    }

    /** A ratio of medians the issue sets a goal for (an upper bound), or an informative one (no target). */
    record Ratio(String name, String numerator, String denominator, Double target) {
    }

    /** An added cost: the median of the per-round differences {@code with - without}. */
    record Difference(String name, String with, String without) {
    }

    static final List<Ratio> RATIOS = List.of(
            new Ratio("P1 / bwrap, back to back", "p1", "bwrap", 0.5),
            new Ratio("P1 / bwrap, after 20 ms idle", "p1-idle20", "bwrap-idle20", 0.5),
            new Ratio("P1 / bwrap, after 200 ms idle", "p1-idle200", "bwrap-idle200", 0.5),
            new Ratio("P1 / unshare, back to back", "p1", "unshare", 0.8),
            new Ratio("P1 / unshare, after 20 ms idle", "p1-idle20", "unshare-idle20", null),
            new Ratio("P1 / unshare, after 200 ms idle", "p1-idle200", "unshare-idle200", null),
            new Ratio("P2 / plain spawn", "p2", "plain", 0.6),
            new Ratio("P1 without cgroup / bwrap", "p1-no-cgroup", "bwrap", null),
            new Ratio("P1 in a tight loop / bwrap", "p1-tight", "bwrap", null),
            new Ratio("P1 not prepared ahead / bwrap", "p1-not-prepared", "bwrap", null),
            new Ratio("P1 as start+exec+close / bwrap", "p1-start-exec-close", "bwrap", null),
            new Ratio("P1 as start+exec+close without prestart / bwrap", "p1-start-no-prestart", "bwrap", null),
            new Ratio("P1 / plain spawn", "p1", "plain", null),
            new Ratio("P1 / crun", "p1", "crun", null));

    /** Cases whose tail the issue bounds: p90 <= 1.5 x median. */
    static final List<String> SPREAD_TARGETS = List.of("p1", "p1-idle20", "p1-idle200");
    static final double SPREAD_TARGET = 1.5;

    static final List<Difference> DIFFERENCES = List.of(
            new Difference("usage cgroup (P1 - P1 without cgroup)", "p1", "p1-no-cgroup"),
            new Difference("P1 after 20 ms idle - back to back", "p1-idle20", "p1"),
            new Difference("P1 after 200 ms idle - back to back", "p1-idle200", "p1"),
            new Difference("bwrap after 20 ms idle - back to back", "bwrap-idle20", "bwrap"),
            new Difference("bwrap after 200 ms idle - back to back", "bwrap-idle200", "bwrap"),
            new Difference("start+exec+close instead of one-shot", "p1-start-exec-close", "p1"),
            new Difference("set-up on the caller's path (not prepared - P1)", "p1-not-prepared", "p1"),
            new Difference("tight loop - back to back", "p1-tight", "p1"),
            new Difference("seccomp default profile (default - unconfined)", "p1", "p1-unconfined"),
            new Difference("seccomp denial reports (on - off)", "p1", "p1-no-denial-reports"),
            new Difference("memory limit 256 MiB (with - usage cgroup only)", "p1-cgroup-memory", "p1"),
            new Difference("cgroup v2, clone3 into it (- v1)", "p1-cgroup-v2", "p1"),
            new Difference("cgroup v2, clone3 into it (- v1), after 20 ms idle", "p1-cgroup-v2-idle20", "p1-idle20"),
            new Difference("idMapping RANGE - AUTO", "p1-range", "p1"),
            new Difference("prestart (start+exec+close, on - off)", "p1-start-exec-close", "p1-start-no-prestart"));

    /** The cases that run the default spec on the shared runtime: they get a usage cgroup where the host allows. */
    static final Set<String> DEFAULT_SPEC_ON_SHARED_RUNTIME =
            Set.of("p1", "p1-idle20", "p1-idle200", "p1-tight", "p1-not-prepared", "p1-start-exec-close",
                    "p1-start-no-prestart", "p2");

    private final List<AutoCloseable> resources = new ArrayList<>();
    private String cgroupNote;
    private CgroupV2Runtime v2;
    private final List<String> v2WhyNot = new ArrayList<>();
    private final List<Def> defs = definitions();
    /** P1 start + exec + close split into its phases, per timed round. */
    private Phases phases;

    @Override
    public String name() {
        return "latency";
    }

    @Override
    public Set<String> caseNames() {
        Set<String> keys = new LinkedHashSet<>();
        defs.forEach(d -> keys.add(d.key()));
        return keys;
    }

    private List<Def> definitions() {
        List<Def> d = new ArrayList<>();
        d.add(new Def("plain", "plain JVM spawn: /bin/true", 0, true, () -> peer(List.of(Peers.TRUE))));
        for (int idle : new int[] {0, 20, 200}) {
            d.add(new Def(idled("unshare", idle), "unshare -Urmpnfiu --mount-proc /bin/true" + after(idle), idle, true,
                    () -> peer(UNSHARE)));
        }
        for (int idle : new int[] {0, 20, 200}) {
            d.add(new Def(idled("bwrap", idle), "bwrap --unshare-all --ro-bind / / --proc --dev /bin/true" + after(idle),
                    idle, true, () -> peer(BWRAP)));
        }
        for (int idle : new int[] {0, 20, 200}) {
            d.add(new Def(idled("p1", idle), "P1: Sandbox.run(defaults, /bin/true)" + after(idle), idle, true,
                    () -> oneShot(SandboxRuntime.shared(), SandboxSpec.defaults())));
        }
        d.add(new Def("p1-tight", "P1 right behind an untimed P1 of the same spec (a tight loop: the next sandbox is"
                + " still being set up ahead)", 0, true, LatencyBench::tightLoop));
        d.add(new Def("p1-not-prepared", "P1 with sandboxed.run.prepareAhead=false (set-up on the caller's path)", 0, true,
                this::notPrepared));
        d.add(new Def("p1-no-cgroup", "P1 with trackUsage(false): no usage cgroup", 0, true,
                () -> oneShot(SandboxRuntime.shared(), SandboxSpec.builder().trackUsage(false).build())));
        d.add(new Def("p1-start-exec-close", "P1 as Sandbox.start(defaults) + exec /bin/true + close", 0, true,
                this::startExecClose));
        d.add(new Def("p1-start-no-prestart", "start+exec+close with sandboxed.prestart=false", 0, true, this::noPrestart));
        d.add(new Def("p2", "P2: exec /bin/true into a running sandbox (defaults)", 0, true, this::p2));
        // Only when asked for by name: the settings P1 is made of, one at a time, and more peers.
        d.add(new Def("p1-unconfined", "P1, seccomp unconfined", 0, false,
                () -> oneShot(SandboxRuntime.shared(), SandboxSpec.builder().seccomp("unconfined").build())));
        d.add(new Def("p1-no-denial-reports", "P1, default seccomp without denial reports", 0, false,
                () -> oneShot(SandboxRuntime.shared(), SandboxSpec.builder().reportSeccompDenials(false).build())));
        d.add(new Def("p1-range", "P1, idMapping RANGE (newuidmap/newgidmap)", 0, false,
                () -> oneShot(SandboxRuntime.shared(), SandboxSpec.builder().idMapping(IdMappingMode.RANGE).build())));
        d.add(new Def("p1-cgroup-memory", "P1 with memory 256 MiB", 0, false,
                () -> oneShot(SandboxRuntime.shared(), SandboxSpec.builder().memory(MEMORY_LIMIT).build())));
        for (int idle : new int[] {0, 20}) {
            d.add(new Def(idled("p1-cgroup-v2", idle), "P1 on a runtime using the hybrid host's bare cgroup2 tree (clone3"
                    + " into it)" + after(idle), idle, false, this::cgroupV2));
        }
        d.add(new Def("crun", "crun run (rootless OCI bundle, busybox rootfs, no cgroup)", 0, false, this::crun));
        return d;
    }

    private static String idled(String key, int idleMs) {
        return idleMs == 0 ? key : key + "-idle" + idleMs;
    }

    private static String after(int idleMs) {
        return idleMs == 0 ? ", back to back" : ", after " + idleMs + " ms idle";
    }

    // ---------------------------------------------------------------------------------------------------

    private static Body peer(List<String> command) {
        return new Body(() -> Peers.probe(command), () -> Peers.spawnAndWait(command));
    }

    /** {@code runtime.run(spec, /bin/true)}: set-up, process and removal in one call. */
    private static Body oneShot(SandboxRuntime runtime, SandboxSpec spec) {
        return new Body(() -> probeOneShot(runtime, spec), () -> check(runtime.run(spec, TRUE)));
    }

    private static Optional<String> probeOneShot(SandboxRuntime runtime, SandboxSpec spec) {
        try (Sandbox s = runtime.startWithMain(spec, TRUE)) {
            ExitStatus status = s.mainProcess().orElseThrow().waitFor();
            return status.exitCode() == 0 ? Optional.empty() : Optional.of("/bin/true in the sandbox: " + status);
        } catch (RuntimeException e) {
            return Optional.of(e.toString());
        }
    }

    private static Body tightLoop() {
        SandboxSpec spec = SandboxSpec.defaults();
        SandboxRuntime runtime = SandboxRuntime.shared();
        return new Body(() -> probeOneShot(runtime, spec), () -> check(runtime.run(spec, TRUE)),
                () -> check(runtime.run(spec, TRUE)));
    }

    private Body notPrepared() {
        SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrepareRuns(false));
        resources.add(runtime);
        return oneShot(runtime, SandboxSpec.defaults());
    }

    private Body startExecClose() {
        phases = new Phases();
        SandboxSpec spec = SandboxSpec.defaults();
        return new Body(() -> probeOneShot(SandboxRuntime.shared(), spec), () -> {
            long t0 = System.nanoTime();
            Sandbox s = Sandbox.start(spec);
            long t1;
            long t2;
            try {
                t1 = System.nanoTime();
                check(s.exec(TRUE));
                t2 = System.nanoTime();
            } finally {
                s.close();
            }
            phases.record(t1 - t0, t2 - t1, System.nanoTime() - t2);
        });
    }

    private Body p2() {
        Sandbox[] running = new Sandbox[1];
        return new Body(() -> {
            try {
                running[0] = Sandbox.start(SandboxSpec.defaults());
                resources.add(running[0]);
                ExecResult r = running[0].exec(TRUE);
                return r.succeeded() ? Optional.empty() : Optional.of("/bin/true in the sandbox: " + r);
            } catch (RuntimeException e) {
                return Optional.of(e.toString());
            }
        }, () -> check(running[0].exec(TRUE)));
    }

    /** One cgroup2 runtime for both v2 cases: they share its parent cgroup. */
    private Body cgroupV2() {
        if (v2 == null && v2WhyNot.isEmpty()) {
            v2 = CgroupV2Runtime.onHybridHost(v2WhyNot);
            if (v2 != null) {
                resources.add(v2);
            }
        }
        if (v2 == null) {
            return new Body(() -> Optional.of(v2WhyNot.get(0)), null);
        }
        return oneShot(v2.runtime(), SandboxSpec.defaults());
    }

    private Body noPrestart() {
        SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties().withPrestart(false));
        resources.add(runtime);
        SandboxSpec spec = SandboxSpec.defaults();
        return new Body(() -> probeOneShot(runtime, spec), () -> {
            try (Sandbox s = runtime.start(spec)) {
                check(s.exec(TRUE));
            }
        });
    }

    private Body crun() {
        List<String> whyNot = new ArrayList<>();
        Peers.Crun crun = Peers.Crun.create(whyNot);
        if (crun == null) {
            return new Body(() -> Optional.of(whyNot.get(0)), null);
        }
        resources.add(crun);
        return new Body(() -> Peers.probe(crun.nextCommand()), () -> Peers.spawnAndWait(crun.nextCommand()));
    }

    private static void check(ExecResult r) {
        if (!r.succeeded()) {
            throw new IllegalStateException("/bin/true in the sandbox: " + r);
        }
    }

    // ---------------------------------------------------------------------------------------------------

    /** One selected case while it is measured, and its outcome. */
    static final class Case {
        final Def def;
        Runnable op;
        Runnable before;
        String skipped;
        String note;
        long[] samples;
        Stats stats;

        Case(Def def) {
            this.def = def;
        }
    }

    @Override
    public Map<String, Object> run(BenchOptions options, PrintStream out) {
        List<Case> cases = new ArrayList<>();
        for (Def d : defs) {
            if (options.wholeGroup(this) ? d.byDefault() : options.cases().contains(d.key())) {
                cases.add(new Case(d));
            }
        }
        out.printf(Locale.ROOT, "== latency: %d cases, round by round (%d warm-up + %d timed rounds), nothing waited"
                + " for between operations%n", cases.size(), options.warmup(), options.rounds());
        try {
            for (Case c : cases) {
                prepare(c, out);
            }
            measure(cases, options, out);
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    out.println("could not close " + resources.get(i) + ": " + e);
                }
            }
            resources.clear();
        }
        print(cases, options, out);
        return json(cases);
    }

    private void prepare(Case c, PrintStream out) {
        Body body;
        try {
            body = c.def.body().get();
        } catch (RuntimeException e) {
            body = new Body(() -> Optional.of(e.toString()), null);
        }
        Optional<String> why = body.probe().get();
        if (why.isPresent()) {
            c.skipped = why.get();
            out.printf(Locale.ROOT, "  %-20s SKIPPED: %s%n", c.def.key(), firstLine(c.skipped));
            return;
        }
        c.op = body.op();
        c.before = body.untimedBefore();
        if (DEFAULT_SPEC_ON_SHARED_RUNTIME.contains(c.def.key())) {
            if (cgroupNote == null) {
                cgroupNote = cgroupNote();
            }
            c.note = cgroupNote;
        }
    }

    /** Whether a default sandbox gets its usage cgroup here (as root, or as a user with a delegated parent). */
    private static String cgroupNote() {
        try (Sandbox s = Sandbox.start(SandboxSpec.defaults())) {
            return s.usage() == ResourceUsage.NOT_AVAILABLE ? "no usage cgroup here" : "with usage cgroup";
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Warm-up rounds, then timed rounds. Each round runs every case once, starting one case later each round, so
     * every case follows every other (and its background work) equally often, and slow drift spreads over all.
     */
    private void measure(List<Case> cases, BenchOptions options, PrintStream out) {
        List<Case> live = cases.stream().filter(c -> c.op != null).toList();
        if (live.isEmpty()) {
            return;
        }
        int rounds = options.rounds();
        long[][] samples = new long[live.size()][rounds];
        out.printf(Locale.ROOT, "  rounds ");
        int total = options.warmup() + rounds;
        int step = Math.max(1, total / 40);
        for (int round = 0; round < total; round++) {
            int timed = round - options.warmup();
            if (timed == 0 && phases != null) {
                phases.reset();
            }
            for (int i = 0; i < live.size(); i++) {
                int index = (i + round) % live.size();
                Case c = live.get(index);
                if (c.skipped != null) {
                    continue;
                }
                if (c.def.idleMs() > 0) {
                    sleep(c.def.idleMs());
                }
                long t0 = 0;
                try {
                    if (c.before != null) {
                        c.before.run();
                    }
                    t0 = System.nanoTime();
                    c.op.run();
                } catch (RuntimeException e) {
                    c.skipped = "failed while measuring: " + e;
                    out.printf(Locale.ROOT, "%n  %s FAILED: %s%n", c.def.key(), e);
                    continue;
                }
                if (timed >= 0) {
                    samples[index][timed] = System.nanoTime() - t0;
                }
            }
            if (round % step == step - 1) {
                out.print(round < options.warmup() ? ',' : '.');
                out.flush();
            }
        }
        out.println(" done");
        for (int i = 0; i < live.size(); i++) {
            Case c = live.get(i);
            if (c.skipped == null) {
                c.samples = samples[i];
                c.stats = Stats.of(samples[i]);
            }
        }
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------

    private static boolean selected(List<Case> cases, String key) {
        return cases.stream().anyMatch(c -> c.def.key().equals(key));
    }

    private static Optional<Case> measured(List<Case> cases, String key) {
        return cases.stream().filter(c -> c.def.key().equals(key) && c.stats != null).findFirst();
    }

    private void print(List<Case> cases, BenchOptions options, PrintStream out) {
        String line = "-".repeat(120);
        out.printf(Locale.ROOT, "%nLatency (ms; %d rounds; median and p90 by nearest rank)%n", options.rounds());
        out.println(line);
        out.printf(Locale.ROOT, "%-20s %8s %8s %7s %8s %8s %8s  %s%n", "case", "median", "p90", "p90/med", "min", "mean",
                "max", "description");
        out.println(line);
        for (Case c : cases) {
            if (c.stats == null) {
                out.printf(Locale.ROOT, "%-20s %8s %8s %7s %8s %8s %8s  %s (skipped: %s)%n", c.def.key(), "-", "-", "-",
                        "-", "-", "-", c.def.label(), firstLine(c.skipped));
                continue;
            }
            Stats s = c.stats;
            out.printf(Locale.ROOT, "%-20s %8.2f %8.2f %7.2f %8.2f %8.2f %8.2f  %s%s%n", c.def.key(), s.medianMs(),
                    s.p90Ms(), s.spread(), s.minMs(), s.meanMs(), s.maxMs(), c.def.label(),
                    c.note == null ? "" : " [" + c.note + "]");
            if (c.def.key().equals("p1-start-exec-close") && phases != null) {
                phases.summary().forEach((phase, ps) -> out.printf(Locale.ROOT, "%-20s %8.2f %8.2f %7.2f %8.2f %8.2f %8.2f  %s%n",
                        "  ." + phase, ps.medianMs(), ps.p90Ms(), ps.spread(), ps.minMs(), ps.meanMs(), ps.maxMs(),
                        "  phase: " + Phases.describe(phase)));
            }
        }
        out.println(line);
        out.println();
        out.println("Ratios: of medians | median of per-round ratios; goals (issue 15) are upper bounds, reported, not asserted");
        for (Map<String, Object> r : ratios(cases)) {
            Object value = r.get("ofMedians");
            String goal = r.get("target") == null ? "" : String.format(Locale.ROOT, "goal <= %.2f: %s",
                    (Double) r.get("target"), value == null ? "n/a" : ((Boolean) r.get("withinTarget") ? "met" : "NOT met"));
            out.printf(Locale.ROOT, "  %-34s %s  %s%n", r.get("name"), value == null ? "     n/a (" + r.get("missing") + ")"
                    : String.format(Locale.ROOT, "%6.3f | %6.3f", (Double) value, (Double) r.get("medianOfRoundRatios")),
                    goal);
        }
        for (String key : SPREAD_TARGETS) {
            measured(cases, key).ifPresent(c -> out.printf(Locale.ROOT, "  %-34s %6.3f           goal <= %.2f: %s%n",
                    key + " p90 / median", c.stats.spread(), SPREAD_TARGET, c.stats.spread() <= SPREAD_TARGET ? "met" : "NOT met"));
        }
        out.println();
        out.println("Added cost in ms: median of per-round differences (difference of medians in brackets)");
        for (Map<String, Object> d : differences(cases)) {
            out.printf(Locale.ROOT, "  %-50s %+7.2f (%+7.2f)%n", d.get("name"), (Double) d.get("pairedMedianMs"),
                    (Double) d.get("differenceOfMediansMs"));
        }
        for (Case c : cases) {
            if (c.skipped != null && c.skipped.contains("\n")) {
                out.println("Skipped " + c.def.key() + ": " + c.skipped);
            }
        }
    }

    static List<Map<String, Object>> ratios(List<Case> cases) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Ratio r : RATIOS) {
            if (!selected(cases, r.numerator()) || !selected(cases, r.denominator())) {
                continue; // a side was not asked for: nothing to say
            }
            Optional<Case> a = measured(cases, r.numerator());
            Optional<Case> b = measured(cases, r.denominator());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("numerator", r.numerator());
            m.put("denominator", r.denominator());
            m.put("target", r.target());
            if (a.isPresent() && b.isPresent()) {
                double ofMedians = a.get().stats.medianMs() / b.get().stats.medianMs();
                m.put("ofMedians", ofMedians);
                m.put("medianOfRoundRatios", Stats.pairedMedianRatio(a.get().samples, b.get().samples));
                m.put("ofP90s", a.get().stats.p90Ms() / b.get().stats.p90Ms());
                if (r.target() != null) {
                    m.put("withinTarget", ofMedians <= r.target());
                }
            } else {
                m.put("ofMedians", null);
                m.put("missing", (a.isEmpty() ? r.numerator() : r.denominator()) + " not measured");
            }
            list.add(m);
        }
        return list;
    }

    static List<Map<String, Object>> differences(List<Case> cases) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Difference d : DIFFERENCES) {
            Optional<Case> a = measured(cases, d.with());
            Optional<Case> b = measured(cases, d.without());
            if (a.isPresent() && b.isPresent()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", d.name());
                m.put("with", d.with());
                m.put("without", d.without());
                m.put("pairedMedianMs", Stats.pairedMedianDifferenceMs(a.get().samples, b.get().samples));
                m.put("differenceOfMediansMs", a.get().stats.medianMs() - b.get().stats.medianMs());
                list.add(m);
            }
        }
        return list;
    }

    private Map<String, Object> json(List<Case> cases) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (Case c : cases) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", c.def.key());
            m.put("description", c.def.label());
            m.put("idleBeforeMs", c.def.idleMs());
            m.put("skipped", c.skipped);
            m.put("stats", c.stats);
            m.put("p90OverMedian", c.stats == null ? null : c.stats.spread());
            if (c.note != null) {
                m.put("note", c.note);
            }
            if (c.def.key().equals("p1-start-exec-close") && phases != null && c.stats != null) {
                m.put("phases", phases.summary());
            }
            list.add(m);
        }
        root.put("cases", list);
        root.put("ratios", ratios(cases));
        List<Map<String, Object>> spreads = new ArrayList<>();
        for (String key : SPREAD_TARGETS) {
            measured(cases, key).ifPresent(c -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("case", key);
                m.put("p90OverMedian", c.stats.spread());
                m.put("target", SPREAD_TARGET);
                m.put("withinTarget", c.stats.spread() <= SPREAD_TARGET);
                spreads.add(m);
            });
        }
        root.put("spreads", spreads);
        root.put("differences", differences(cases));
        return root;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String first = nl < 0 ? s : s.substring(0, nl);
        return first.length() > 100 ? first.substring(0, 97) + "..." : first;
    }

    /** Per timed round: P1 as start + exec + close split into its three calls. */
    static final class Phases {
        private final List<long[]> samples = new ArrayList<>();

        void reset() {
            samples.clear();
        }

        void record(long start, long exec, long close) {
            samples.add(new long[] {start, exec, close});
        }

        Map<String, Stats> summary() {
            Map<String, Stats> m = new LinkedHashMap<>();
            if (samples.isEmpty()) {
                return m;
            }
            String[] names = {"start", "exec", "close"};
            for (int p = 0; p < names.length; p++) {
                long[] v = new long[samples.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = samples.get(i)[p];
                }
                m.put(names[p], Stats.of(v));
            }
            return m;
        }

        static String describe(String phase) {
            return switch (phase) {
                case "start" -> "Sandbox.start until ready";
                case "exec" -> "exec(/bin/true) until exit";
                case "close" -> "close(): kill and reap (cgroup and state removal follow in the background)";
                default -> phase;
            };
        }
    }
}
