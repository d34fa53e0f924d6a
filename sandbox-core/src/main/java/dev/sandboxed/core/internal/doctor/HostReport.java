package dev.sandboxed.core.internal.doctor;

import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.internal.host.CheckResult;

/**
 * The results of running host checks, in order. Checks are essential unless wrapped in {@link AdvisoryCheck};
 * a check that throws is reported as a FAIL rather than aborting the report.
 */
public final class HostReport {
    private static final String NL = System.lineSeparator();

    private final List<CheckResult> results;
    private final List<Boolean> essential;

    private HostReport(List<CheckResult> results, List<Boolean> essential) {
        this.results = List.copyOf(results);
        this.essential = List.copyOf(essential);
    }

    /** Runs every check in order. */
    public static HostReport run(List<? extends HostCheck> checks) {
        List<CheckResult> results = new ArrayList<>();
        List<Boolean> essential = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            HostCheck check = checks.get(i);
            results.add(runSafely(check, i));
            essential.add(!(check instanceof AdvisoryCheck));
        }
        return new HostReport(results, essential);
    }

    public List<CheckResult> results() {
        return results;
    }

    /** True unless an essential check failed; WARNs and advisory FAILs only reduce what sandboxes can do. */
    public boolean sandboxesCanRun() {
        return blockingFailures().isEmpty();
    }

    /** The FAILs of essential checks: what must be fixed before any sandbox can start. */
    public List<CheckResult> blockingFailures() {
        List<CheckResult> failures = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            if (essential.get(i) && results.get(i).status() == CheckResult.Status.FAIL) {
                failures.add(results.get(i));
            }
        }
        return failures;
    }

    /**
     * One {@code [STATUS] name: detail} line per check, then, when anything needs fixing, a {@code Fixes:} section
     * with one {@code   name: fix} line per check that has a fix, FAILs first.
     */
    public String render() {
        StringBuilder out = new StringBuilder();
        for (CheckResult result : results) {
            out.append(String.format("[%-4s] %s: %s", result.status(), result.name(), oneLine(result.detail())))
                    .append(NL);
        }
        List<CheckResult> withFix = new ArrayList<>();
        for (CheckResult.Status status : List.of(CheckResult.Status.FAIL, CheckResult.Status.WARN, CheckResult.Status.OK)) {
            results.stream().filter(r -> r.status() == status && !r.fix().isEmpty()).forEach(withFix::add);
        }
        if (!withFix.isEmpty()) {
            out.append(NL).append("Fixes:").append(NL);
            for (CheckResult result : withFix) {
                out.append("  ").append(result.name()).append(": ").append(oneLine(result.fix())).append(NL);
            }
        }
        return out.toString();
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static CheckResult runSafely(HostCheck check, int index) {
        try {
            CheckResult result = check.run();
            return result != null ? result
                    : CheckResult.fail(nameOf(check, index), "the check returned no result", "report this as a bug");
        } catch (RuntimeException e) {
            return CheckResult.fail(nameOf(check, index), "the check failed: " + e, "report this as a bug");
        }
    }

    private static String nameOf(HostCheck check, int index) {
        HostCheck unwrapped = check instanceof AdvisoryCheck advisory ? advisory.delegate() : check;
        String name = unwrapped.getClass().getSimpleName();
        // Lambdas have synthetic names such as HostProbe$$Lambda$42/0x...; the position is more useful.
        return name.isEmpty() || name.contains("$$") ? "check #" + (index + 1) : name;
    }
}
