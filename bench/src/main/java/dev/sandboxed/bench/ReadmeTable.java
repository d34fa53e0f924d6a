package dev.sandboxed.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The README's table from the JSON of runs (typically root and rootless): one column per run, medians with p90 in
 * brackets, the ratios, P3, P4, P5 and P6 (median of rounds, p90 in brackets).
 *
 * <pre>java -cp bench/target/sandboxed-bench.jar dev.sandboxed.bench.ReadmeTable root.json rootless.json</pre>
 */
public final class ReadmeTable {
    private ReadmeTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java -cp sandboxed-bench.jar dev.sandboxed.bench.ReadmeTable RUN.json [RUN.json ...]");
            System.exit(2);
        }
        List<JsonNode> runs = new ArrayList<>();
        for (String a : args) {
            runs.add(new ObjectMapper().readTree(Path.of(a).toFile()));
        }
        print(runs, System.out);
    }

    static void print(List<JsonNode> runs, PrintStream out) {
        StringBuilder head = new StringBuilder("| case (median ms, p90 in brackets) |");
        StringBuilder rule = new StringBuilder("|---|");
        for (JsonNode r : runs) {
            JsonNode env = r.path("environment");
            head.append(' ').append(env.path("user").asText()).append(" (cgroups ").append(env.path("cgroups").asText())
                    .append(") |");
            rule.append("---|");
        }
        out.println(head);
        out.println(rule);
        Set<String> keys = new LinkedHashSet<>();
        runs.forEach(r -> r.at("/groups/latency/cases").forEach(c -> keys.add(c.path("key").asText())));
        for (String key : keys) {
            row(out, runs, "`" + key + "`", r -> {
                JsonNode c = find(r.at("/groups/latency/cases"), "key", key);
                JsonNode s = c == null ? null : c.path("stats");
                return s == null || s.isNull() || s.isMissingNode() ? "-"
                        : String.format(Locale.ROOT, "%.2f (%.2f)", s.path("medianMs").asDouble(), s.path("p90Ms").asDouble());
            });
        }
        Set<String> ratios = new LinkedHashSet<>();
        runs.forEach(r -> r.at("/groups/latency/ratios").forEach(c -> ratios.add(c.path("name").asText())));
        for (String name : ratios) {
            row(out, runs, name + " (of medians / median of rounds)", r -> {
                JsonNode c = find(r.at("/groups/latency/ratios"), "name", name);
                return c == null || c.path("ofMedians").isNull() ? "-" : String.format(Locale.ROOT, "%.2f / %.2f",
                        c.path("ofMedians").asDouble(), c.path("medianOfRoundRatios").asDouble());
            });
        }
        row(out, runs, "P3 wall time of 200, sandboxed / bwrap (ms)", r -> pair(r.at("/groups/p3"), "sandboxedWallMs",
                "bwrapWallMs", "%.0f"));
        row(out, runs, "P3 speed-up over bwrap", r -> one(r.at("/groups/p3"), "speedupOfMedians", "%.2fx"));
        row(out, runs, "P3 machine CPU per item, sandboxed / bwrap (ms)", r -> pair(r.at("/groups/p3"),
                "sandboxedCpuMsPerItem", "bwrapCpuMsPerItem", "%.2f"));
        row(out, runs, "P3 CPU per item, sandboxed / bwrap", r -> one(r.at("/groups/p3"), "cpuRatioOfMedians", "%.2f"));
        row(out, runs, "P4 Pss per idle sandbox, inits + server (KiB)", r -> one(r.at("/groups/p4"), "pssPerSandboxKiB", "%.0f"));
        row(out, runs, "P5 overhead per @Sandboxed test (ms)", r -> one(r.at("/groups/p5"), "overheadPerTestMs", "%.2f"));
        row(out, runs, "P5 same, tests working 20 ms each (ms)", r -> one(r.at("/groups/p5/work"), "overheadPerTestMs", "%.2f"));
        row(out, runs, "P6 hermetic test over in place (ms)", r -> spread(r.at("/groups/p6"), "hermeticPerTestMs", "%.0f"));
        row(out, runs, "P6 Surefire reuseForks=false over true, per test (ms)", r -> spread(r.at("/groups/p6"),
                "surefirePerTestMs", "%.0f"));
        row(out, runs, "P6 plain JVM start (ms)", r -> spread(r.at("/groups/p6"), "plainJvmStartMs", "%.0f"));
        row(out, runs, "P6 hermetic / plain JVM start (target < 0.5)", r -> spread(r.at("/groups/p6"),
                "hermeticOverPlainStart", "%.2f"));
        row(out, runs, "P6 Surefire / plain JVM start", r -> spread(r.at("/groups/p6"), "surefireOverPlainStart", "%.2f"));
    }

    private static void row(PrintStream out, List<JsonNode> runs, String label, Function<JsonNode, String> cell) {
        StringBuilder b = new StringBuilder("| ").append(label).append(" |");
        for (JsonNode r : runs) {
            b.append(' ').append(cell.apply(r)).append(" |");
        }
        out.println(b);
    }

    private static String one(JsonNode group, String field, String format) {
        JsonNode v = group.path(field);
        return v.isNumber() ? String.format(Locale.ROOT, format, v.asDouble()) : skipped(group);
    }

    /** A P6 figure over rounds: median with p90 in brackets. */
    private static String spread(JsonNode group, String field, String format) {
        JsonNode v = group.path(field);
        return v.path("median").isNumber() ? String.format(Locale.ROOT, format + " (" + format + ")",
                v.path("median").asDouble(), v.path("p90").asDouble()) : skipped(group);
    }

    private static String pair(JsonNode group, String a, String b, String format) {
        JsonNode x = group.path(a);
        JsonNode y = group.path(b);
        return x.isNumber() && y.isNumber()
                ? String.format(Locale.ROOT, format + " / " + format, x.asDouble(), y.asDouble()) : skipped(group);
    }

    private static String skipped(JsonNode group) {
        return group.path("skipped").isTextual() ? "(skipped)" : "-";
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        return null;
    }
}
