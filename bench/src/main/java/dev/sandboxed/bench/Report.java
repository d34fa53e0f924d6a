package dev.sandboxed.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The table, the promised ratios and the per-feature differences; also as a JSON tree. */
final class Report {
    /** A ratio of medians the product promises (target is an upper bound), or an informative one (no target). */
    record Ratio(String name, String numerator, String denominator, Double target) {
    }

    /** An added cost: median(with) - median(without), and the same for p90. */
    record Difference(String name, String with, String without) {
    }

    static final List<Ratio> RATIOS = List.of(
            new Ratio("P1 / bwrap", "p1", "bwrap", 0.6),
            new Ratio("P1 / unshare", "p1", "unshare", 1.2),
            new Ratio("P2 / plain spawn", "p2", "plain", 1.2),
            new Ratio("P1 as start+exec+close / bwrap", "p1-start-exec-close", "bwrap", null),
            new Ratio("P1 as start+exec+close / unshare", "p1-start-exec-close", "unshare", null),
            new Ratio("start+exec+close with prestart / bwrap", "p1-prestart", "bwrap", null),
            new Ratio("P1 / crun", "p1", "crun", null),
            new Ratio("P1 / plain spawn", "p1", "plain", null),
            new Ratio("P1 unconfined / bwrap", "p1-unconfined", "bwrap", null),
            new Ratio("P1 unconfined / unshare", "p1-unconfined", "unshare", null));

    static final List<Difference> DIFFERENCES = List.of(
            new Difference("start+exec+close instead of one-shot", "p1-start-exec-close", "p1"),
            new Difference("prestart (on - off), start+exec+close", "p1-prestart", "p1-start-exec-close"),
            new Difference("seccomp default profile (default - unconfined)", "p1", "p1-unconfined"),
            new Difference("seccomp denial reports (reports on - off)", "p1", "p1-no-denial-reports"),
            new Difference("cgroup per sandbox, usage only (trackUsage on - off)", "p1-track-usage", "p1"),
            new Difference("cgroup per sandbox with memory limit (on - off)", "p1-cgroup-memory", "p1"),
            new Difference("cgroup v2 per sandbox, clone3 into it (on - off)", "p1-cgroup-v2", "p1"),
            new Difference("idMapping RANGE - AUTO", "p1-range", "p1"));

    private final Map<String, Object> environment;
    private final int iterations;
    private final int warmup;
    private final List<Bench.Result> results;

    Report(Map<String, Object> environment, int iterations, int warmup, List<Bench.Result> results) {
        this.environment = environment;
        this.iterations = iterations;
        this.warmup = warmup;
        this.results = results;
    }

    private Optional<Stats> stats(String key) {
        return results.stream().filter(r -> r.key.equals(key) && r.stats != null).map(r -> r.stats).findFirst();
    }

    private Optional<long[]> samples(String key) {
        return results.stream().filter(r -> r.key.equals(key) && r.samples != null).map(r -> r.samples).findFirst();
    }

    private Optional<Double> cpu(String key) {
        return results.stream().filter(r -> r.key.equals(key) && r.stats != null && r.cpuMsPerRun() != null)
                .map(Bench.Result::cpuMsPerRun).findFirst();
    }

    void print(PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "Results (%d iterations after %d warm-up, ms; as %s)%n", iterations, warmup,
                environment.get("user"));
        String line = "-".repeat(114);
        out.println(line);
        out.printf(Locale.ROOT, "%-22s %9s %9s %9s %9s %9s %9s  %s%n", "case", "median", "p90", "min", "mean", "max",
                "cpu", "description");
        out.println(line);
        for (Bench.Result r : results) {
            if (r.stats == null) {
                out.printf(Locale.ROOT, "%-22s %9s %9s %9s %9s %9s %9s  %s%n", r.key, "-", "-", "-", "-", "-", "-",
                        r.label + " (skipped: " + firstLine(r.skipped) + ")");
                continue;
            }
            Stats s = r.stats;
            Double cpu = r.cpuMsPerRun();
            out.printf(Locale.ROOT, "%-22s %9.2f %9.2f %9.2f %9.2f %9.2f %9s  %s%s%n", r.key, s.medianMs(), s.p90Ms(),
                    s.minMs(), s.meanMs(), s.maxMs(), cpu == null ? "-" : String.format(Locale.ROOT, "%.2f", cpu),
                    r.label, r.note == null ? "" : " [" + r.note + "]");
            if (r.phases != null) {
                r.phases.forEach((phase, ps) -> out.printf(Locale.ROOT, "%-22s %9.2f %9.2f %9.2f %9.2f %9.2f %9s  %s%n",
                        "  " + r.key + "." + phase, ps.medianMs(), ps.p90Ms(), ps.minMs(), ps.meanMs(), ps.maxMs(), "",
                        "  phase of " + r.key + ": " + phaseText(phase)));
            }
        }
        out.println(line);
        out.println("cpu: busy CPU time of the whole machine per run in ms (JVM, sandbox-init, children, kernel threads),"
                + " including the background work the run leaves (cgroup and state removal, cgroups made ahead); the"
                + " times exclude it: the runtimes are idle before each timed run");
        out.println("load average at start / end: " + environment.get("loadAverageAtStart") + " / "
                + environment.get("loadAverageAtEnd"));
        out.println();
        out.println("Ratios of medians (p90 ratio in brackets); targets are upper bounds, reported, not asserted:");
        for (Map<String, Object> r : ratios()) {
            Object value = r.get("median");
            String target = r.get("target") == null ? "" : String.format(Locale.ROOT, "target <= %.2f: %s",
                    (Double) r.get("target"), value == null ? "n/a" : ((Double) value <= (Double) r.get("target") ? "within" : "over"));
            out.printf(Locale.ROOT, "  %-26s %s  %s%n", r.get("name"),
                    value == null ? "n/a (" + r.get("missing") + ")"
                            : String.format(Locale.ROOT, "%6.3f [%6.3f]", (Double) value, (Double) r.get("p90")),
                    target);
        }
        out.println();
        out.println("Added cost in ms: difference of the medians (of the p90s), median of the differences paired by round,");
        out.println("and the machine's CPU time per run:");
        for (Map<String, Object> d : differences()) {
            Object value = d.get("medianMs");
            Object cpu = d.get("cpuMs");
            out.printf(Locale.ROOT, "  %-54s %s%s%n", d.get("name"), value == null ? "n/a (" + d.get("missing") + ")"
                    : String.format(Locale.ROOT, "%+7.2f (%+7.2f)   paired %+6.2f", (Double) value, (Double) d.get("p90Ms"),
                            (Double) d.get("pairedMedianMs")),
                    cpu == null ? "" : String.format(Locale.ROOT, "   cpu %+6.2f", (Double) cpu));
        }
        for (Bench.Result r : results) {
            if (r.skipped != null) {
                out.println();
                out.println("Skipped " + r.key + ": " + r.skipped);
            }
        }
    }

    private static String phaseText(String phase) {
        return switch (phase) {
            case "start" -> "Sandbox.start until ready";
            case "exec" -> "exec(/bin/true) until exit";
            case "close" -> "close(): kill and reap (cgroup and state removal follow in the background)";
            default -> phase;
        };
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String first = nl < 0 ? s : s.substring(0, nl);
        return first.length() > 90 ? first.substring(0, 87) + "..." : first;
    }

    List<Map<String, Object>> ratios() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Ratio r : RATIOS) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("numerator", r.numerator());
            m.put("denominator", r.denominator());
            m.put("target", r.target());
            Optional<Stats> a = stats(r.numerator());
            Optional<Stats> b = stats(r.denominator());
            if (a.isPresent() && b.isPresent()) {
                m.put("median", a.get().medianMs() / b.get().medianMs());
                m.put("p90", a.get().p90Ms() / b.get().p90Ms());
                if (r.target() != null) {
                    m.put("withinTarget", a.get().medianMs() / b.get().medianMs() <= r.target());
                }
            } else {
                m.put("median", null);
                m.put("missing", a.isEmpty() ? r.numerator() + " not measured" : r.denominator() + " not measured");
            }
            list.add(m);
        }
        return list;
    }

    List<Map<String, Object>> differences() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Difference d : DIFFERENCES) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", d.name());
            m.put("with", d.with());
            m.put("without", d.without());
            Optional<Stats> a = stats(d.with());
            Optional<Stats> b = stats(d.without());
            if (a.isPresent() && b.isPresent()) {
                m.put("medianMs", a.get().medianMs() - b.get().medianMs());
                m.put("p90Ms", a.get().p90Ms() - b.get().p90Ms());
                Optional<long[]> sa = samples(d.with());
                Optional<long[]> sb = samples(d.without());
                m.put("pairedMedianMs", sa.isPresent() && sb.isPresent()
                        ? Stats.pairedMedianDifferenceMs(sa.get(), sb.get()) : null);
                Optional<Double> ca = cpu(d.with());
                Optional<Double> cb = cpu(d.without());
                m.put("cpuMs", ca.isPresent() && cb.isPresent() ? ca.get() - cb.get() : null);
            } else {
                m.put("medianMs", null);
                m.put("missing", a.isEmpty() ? d.with() + " not measured" : d.without() + " not measured");
            }
            list.add(m);
        }
        return list;
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("environment", environment);
        root.put("iterations", iterations);
        root.put("warmup", warmup);
        root.put("unit", "ms");
        List<Map<String, Object>> cases = new ArrayList<>();
        for (Bench.Result r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("key", r.key);
            c.put("description", r.label);
            c.put("skipped", r.skipped);
            c.put("stats", r.stats);
            c.put("cpuMsPerRun", r.cpuMsPerRun());
            if (r.note != null) {
                c.put("note", r.note);
            }
            if (r.phases != null) {
                c.put("phases", r.phases);
            }
            cases.add(c);
        }
        root.put("cases", cases);
        root.put("ratios", ratios());
        root.put("differences", differences());
        return root;
    }
}
