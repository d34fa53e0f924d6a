package dev.sandboxed.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * P4: host memory per idle sandbox as Pss (proportional set size: a page shared by k processes counts 1/k to each,
 * so the inits' shared pages of the sealed sandbox-init binary count once in all). Starts N idle default sandboxes,
 * sums the Pss of their inits from /proc/PID/smaps_rollup, adds the sandbox-init server's Pss, and divides by N.
 */
final class MemoryBench implements BenchGroup {
    static final int SANDBOXES = 20;
    static final double TARGET_KIB = 128;

    @Override
    public String name() {
        return "p4";
    }

    @Override
    public Map<String, Object> run(BenchOptions options, PrintStream out) {
        out.printf(Locale.ROOT, "== p4: host memory (Pss) per idle sandbox, %d idle default sandboxes%n", SANDBOXES);
        Map<String, Object> json = new LinkedHashMap<>();
        List<Sandbox> sandboxes = new ArrayList<>();
        try {
            sandboxes.add(Sandbox.start(SandboxSpec.defaults()));
            int server = parent(sandboxes.get(0).pid());
            if (server == ProcessHandle.current().pid()) {
                throw new IllegalStateException("the init's parent is this JVM, not a sandbox-init server");
            }
            long firstInit = rollup(sandboxes.get(0).pid()).get("Pss");
            Map<String, Long> serverBefore = rollup(server);
            for (int i = 1; i < SANDBOXES; i++) {
                sandboxes.add(Sandbox.start(SandboxSpec.defaults()));
            }
            Thread.sleep(200); // every init done with its set-up and waiting
            Map<String, Long> inits = new LinkedHashMap<>();
            long minPss = Long.MAX_VALUE;
            long maxPss = 0;
            for (Sandbox s : sandboxes) {
                Map<String, Long> r = rollup(s.pid());
                r.forEach((k, v) -> inits.merge(k, v, Long::sum));
                minPss = Math.min(minPss, r.getOrDefault("Pss", 0L));
                maxPss = Math.max(maxPss, r.getOrDefault("Pss", 0L));
            }
            Map<String, Long> serverAfter = rollup(server);
            long initPss = inits.getOrDefault("Pss", 0L);
            long serverPss = serverAfter.getOrDefault("Pss", 0L);
            double perInit = (double) initPss / SANDBOXES;
            double perSandbox = (double) (initPss + serverPss) / SANDBOXES;
            // Pss moves from the server to the inits as more share the binary's pages: the total's growth is the cost.
            double marginal = (double) (initPss + serverPss - firstInit - serverBefore.get("Pss")) / (SANDBOXES - 1);
            out.printf(Locale.ROOT, "  server pid %d (%s): Pss %d KiB with 1 sandbox, %d KiB with %d%n", server,
                    comm(server), serverBefore.getOrDefault("Pss", 0L), serverPss, SANDBOXES);
            out.printf(Locale.ROOT, "  inits: Pss %d KiB in all (anon %d, file %d, shmem %d), %d..%d KiB each; Rss %d KiB in all%n",
                    initPss, inits.getOrDefault("Pss_Anon", 0L), inits.getOrDefault("Pss_File", 0L),
                    inits.getOrDefault("Pss_Shmem", 0L), minPss, maxPss, inits.getOrDefault("Rss", 0L));
            out.printf(Locale.ROOT, "  per sandbox: init Pss %.1f KiB; with the server's share (inits + server) / %d: %.1f KiB"
                    + "   goal <= %.0f KiB: %s%n", perInit, SANDBOXES, perSandbox, TARGET_KIB,
                    perSandbox <= TARGET_KIB ? "met" : "NOT met");
            out.printf(Locale.ROOT, "  per added sandbox, (inits + server with %d) - (init + server with 1), / %d: %.1f KiB%n",
                    SANDBOXES, SANDBOXES - 1, marginal);
            json.put("sandboxes", SANDBOXES);
            json.put("initPssKiB", initPss);
            json.put("initPssBreakdownKiB", inits);
            json.put("serverPssKiB", serverPss);
            json.put("serverPssWithOneSandboxKiB", serverBefore.getOrDefault("Pss", 0L));
            json.put("initPssPerSandboxKiB", perInit);
            json.put("pssPerSandboxKiB", perSandbox);
            json.put("pssPerAddedSandboxKiB", marginal);
            json.put("targetKiB", TARGET_KIB);
            json.put("withinTarget", perSandbox <= TARGET_KIB);
        } catch (IOException | RuntimeException e) {
            String why = e instanceof java.nio.file.AccessDeniedException
                    ? "cannot read " + e.getMessage() + ": sandbox-init is not dumpable, so only root reads its smaps_rollup"
                    : e.toString();
            out.println("  SKIPPED: " + why);
            json.put("skipped", why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            json.put("skipped", "interrupted");
        } finally {
            sandboxes.forEach(Sandbox::close);
        }
        return json;
    }

    /** The KiB fields of /proc/PID/smaps_rollup (Rss, Pss, Pss_Anon, ...). */
    static Map<String, Long> rollup(int pid) throws IOException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].endsWith(":") && f[2].equals("kB")) {
                m.put(f[0].substring(0, f[0].length() - 1), Long.parseLong(f[1]));
            }
        }
        if (!m.containsKey("Pss")) {
            throw new IOException("/proc/" + pid + "/smaps_rollup has no Pss line");
        }
        return m;
    }

    /** The parent pid from /proc/PID/stat (the field after the parenthesised command name). */
    static int parent(int pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[1]);
    }

    private static String comm(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
