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
    private final PrintStream out;

    DoctorCommand(PrintStream out) {
        this.out = out;
    }

    int run(String cgroupParent) {
        CgroupConfig.Builder cg = CgroupConfig.builder();
        if (cgroupParent != null) {
            cg.parent(cgroupParent);
        }
        List<HostCheck> extra = new ArrayList<>();
        extra.add(new CgroupDoctorCheck(cg.build()));
        HostReport report = HostProbe.runStandard(extra);
        out.println(report.render());
        CheckResult live = liveSandbox(cgroupParent);
        out.println(live.render());
        boolean ok = report.sandboxesCanRun() && live.isOk();
        out.println(ok ? "sandboxes can run on this host" : "sandboxes cannot run on this host: apply the fixes above");
        return ok ? 0 : 1;
    }

    /** Starting a real sandbox is the only proof that counts. */
    private static CheckResult liveSandbox(String cgroupParent) {
        String name = "sandbox start";
        RuntimeConfig config = RuntimeConfig.fromSystemProperties().withCgroupParent(cgroupParent).withCgroupPool(0);
        try (SandboxRuntime runtime = SandboxRuntime.create(config);
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
