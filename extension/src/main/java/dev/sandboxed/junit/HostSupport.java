package dev.sandboxed.junit;

import java.util.List;
import java.util.Optional;

import org.opentest4j.TestAbortedException;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.cgroup.CgroupConfig;
import dev.sandboxed.core.internal.doctor.CgroupDoctorCheck;
import dev.sandboxed.core.internal.doctor.HostProbe;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.spec.ResourceLimits;

/**
 * Decides, before anything starts, whether this host can run a sandbox with the given limits, and applies the
 * {@code sandboxed.unsupported} policy: fail with the doctor's explanation, or abort (skip) with it. Never a
 * silent pass.
 */
final class HostSupport {
    private static volatile String doctorReport;

    private HostSupport() {
    }

    /** Throws {@link SandboxUnavailableException} or {@link TestAbortedException} when the host cannot do it. */
    static void require(ExtensionConfig config, SandboxRuntime runtime, ResourceLimits limits) {
        // Read the policy first so that a misspelt value is reported on every host, not only on unsupported ones.
        ExtensionConfig.UnsupportedPolicy policy = config.unsupportedPolicy();
        problem(config, runtime, limits).ifPresent(reason -> {
            String message = "Sandboxed: this host cannot run the sandbox this test needs.\n" + reason;
            if (policy == ExtensionConfig.UnsupportedPolicy.SKIP) {
                throw new TestAbortedException(message + "\n(skipped because " + ExtensionConfig.UNSUPPORTED + "=skip)");
            }
            throw new SandboxUnavailableException(message + "\n(set " + ExtensionConfig.UNSUPPORTED
                    + "=skip to report such tests as skipped instead)");
        });
    }

    static Optional<String> problem(ExtensionConfig config, SandboxRuntime runtime, ResourceLimits limits) {
        Optional<String> simulated = config.simulatedUnsupportedReason();
        if (simulated.isPresent()) {
            return Optional.of("simulated by " + ExtensionConfig.SIMULATE_UNSUPPORTED + ": " + simulated.get());
        }
        if (!HostFacts.current().userNamespacesUsable()) {
            return Optional.of("User namespaces are not usable by this user, so no sandbox can start.\n"
                    + doctor(runtime.config()));
        }
        if (!limits.isEmpty()) {
            Optional<String> unsupported = runtime.limitsUnsupported(limits);
            if (unsupported.isPresent()) {
                return Optional.of("The test asks for resource limits (" + describe(limits) + "), which need a cgroup this user "
                        + "can write: " + unsupported.get().replace("; fix: ", "\nFix: ")
                        + "\nOr point " + ExtensionConfig.CGROUP_PARENT + " at a cgroup delegated to this user.");
            }
        }
        return Optional.empty();
    }

    private static String doctor(RuntimeConfig config) {
        String report = doctorReport;
        if (report == null) {
            CgroupConfig.Builder cg = CgroupConfig.builder();
            config.cgroupParent().ifPresent(cg::parent);
            report = "sandboxed doctor:\n" + HostProbe.runStandard(List.of(new CgroupDoctorCheck(cg.build()))).render();
            doctorReport = report;
        }
        return report;
    }

    static String describe(ResourceLimits limits) {
        StringBuilder s = new StringBuilder();
        limits.memoryMax().ifPresent(v -> s.append("memory ").append(FailureReport.bytes(v)).append(", "));
        limits.cpus().ifPresent(v -> s.append("cpus ").append(v).append(", "));
        limits.pidsMax().ifPresent(v -> s.append("pids ").append(v).append(", "));
        return s.length() == 0 ? limits.toString() : s.substring(0, s.length() - 2);
    }
}
