package dev.sandboxed.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.cgroup.CgroupConfig;
import dev.sandboxed.core.internal.doctor.CgroupDoctorCheck;
import dev.sandboxed.core.internal.doctor.HostCheck;
import dev.sandboxed.core.internal.doctor.HostProbe;
import dev.sandboxed.core.internal.doctor.HostReport;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * {@code sandboxed doctor}: one line per host capability with OK or what is missing and the exact fix,
 * ending with a real sandbox started end to end. Exit 0 only if sandboxes can run.
 */
final class DoctorCommand {
    static final String USAGE = "usage: sandboxed doctor [--cgroup-parent PATH]";
    private static final String CGROUP_PARENT = "--cgroup-parent";

    private final PrintStream out;

    DoctorCommand(PrintStream out) {
        this.out = out;
    }

    /**
     * The settings a runtime would take from {@code base} (the system properties, as {@code run} and the JUnit
     * extension read them) with the command line's options over them; anything else on the line is refused.
     */
    static RuntimeConfig config(List<String> args, RuntimeConfig base) {
        RuntimeConfig config = base;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value;
            if (arg.startsWith(CGROUP_PARENT + "=")) {
                value = arg.substring(CGROUP_PARENT.length() + 1);
            } else if (arg.equals(CGROUP_PARENT)) {
                value = i + 1 < args.size() ? args.get(++i) : "";
            } else {
                throw new UsageException(
                        "unknown argument '" + arg + "'; doctor takes only " + CGROUP_PARENT + " PATH");
            }
            if (value.isBlank()) {
                throw new UsageException(CGROUP_PARENT + " needs a value: a cgroup path such as sandboxed-ci");
            }
            config = config.withCgroupParent(value);
        }
        return config;
    }

    int run(RuntimeConfig config) {
        CgroupConfig.Builder cg = CgroupConfig.builder().preferV2(config.cgroupV2());
        config.cgroupParent().ifPresent(cg::parent);
        List<HostCheck> extra = new ArrayList<>();
        extra.add(new CgroupDoctorCheck(cg.build()));
        HostReport report = HostProbe.runStandard(extra);
        out.println(report.render());
        CheckResult live = liveSandbox(config);
        out.println(live.render());
        boolean ok = report.sandboxesCanRun() && live.isOk();
        out.println(ok ? "sandboxes can run on this host" : "sandboxes cannot run on this host: apply the fixes above");
        return ok ? 0 : 1;
    }

    /** Starting a real sandbox is the only proof that counts. */
    private static CheckResult liveSandbox(RuntimeConfig config) {
        String name = "sandbox start";
        try (SandboxRuntime runtime = SandboxRuntime.create(config.withCgroupPool(0));
                Sandbox sandbox = runtime.start(SandboxSpec.defaults())) {
            ExecResult r = sandbox.exec("/bin/sh", "-c", "echo ok");
            if (r.succeeded() && r.stdout().trim().equals("ok")) {
                return CheckResult.ok(name, "started a sandbox (all namespaces, seccomp, pivot_root) and ran /bin/sh in it");
            }
            return CheckResult.fail(name, "a sandbox started but /bin/sh failed: " + r + "\n" + r.tail(5), "see the lines above");
        } catch (RuntimeException e) {
            return CheckResult.fail(name, e.getMessage(), "see the failing checks above; run with the fixes applied");
        }
    }
}
