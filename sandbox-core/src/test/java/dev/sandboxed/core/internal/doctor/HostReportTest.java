package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.FakeHost;

class HostReportTest {
    @TempDir
    Path root;

    @Test
    void rendersOneLinePerCheckThenFixesFailuresFirst() {
        HostReport report = HostReport.run(List.of(
                () -> CheckResult.ok("kernel version", "Linux 6.1.0"),
                () -> CheckResult.warn("subuid/subgid ranges", "none for bob", "sudo usermod ..."),
                () -> CheckResult.fail("seccomp", "missing", "upgrade")));

        assertThat(report.render().lines()).containsExactly(
                "[OK  ] kernel version: Linux 6.1.0",
                "[WARN] subuid/subgid ranges: none for bob",
                "[FAIL] seccomp: missing",
                "",
                "Fixes:",
                "  seccomp: upgrade",
                "  subuid/subgid ranges: sudo usermod ...");
    }

    @Test
    void allOkRendersNoFixSection() {
        HostReport report = HostReport.run(List.of(() -> CheckResult.ok("a", "fine")));
        assertThat(report.render()).isEqualTo("[OK  ] a: fine" + System.lineSeparator());
        assertThat(report.sandboxesCanRun()).isTrue();
    }

    @Test
    void essentialFailureStopsSandboxesButWarningsAndAdvisoryFailuresDoNot() {
        HostCheck warn = () -> CheckResult.warn("w", "reduced", "fix");
        HostCheck advisoryFail = AdvisoryCheck.of(() -> CheckResult.fail("container", "blocked", "fix"));
        HostCheck essentialFail = () -> CheckResult.fail("kernel version", "old", "upgrade");

        assertThat(HostReport.run(List.of(warn, advisoryFail)).sandboxesCanRun()).isTrue();
        HostReport blocked = HostReport.run(List.of(warn, advisoryFail, essentialFail));
        assertThat(blocked.sandboxesCanRun()).isFalse();
        assertThat(blocked.blockingFailures()).extracting(CheckResult::name).containsExactly("kernel version");
    }

    @Test
    void throwingCheckBecomesAFailure() {
        HostReport report = HostReport.run(List.<HostCheck>of(new KernelVersionCheck(null), () -> null));
        assertThat(report.results()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.FAIL);
        assertThat(report.results().get(0).name()).isEqualTo("KernelVersionCheck");
        assertThat(report.results().get(1).name()).isEqualTo("check #2");
        assertThat(report.sandboxesCanRun()).isFalse();
    }

    @Test
    void standardChecksOnAHealthyFakeHostAllowSandboxesAndIncludeExtras() {
        FakeHost fake = healthyHost();
        HostCheck cgroups = () -> CheckResult.ok("cgroups", "delegated");
        HostReport report = HostProbe.runStandard(fake.environment(), List.of(cgroups));

        assertThat(report.results()).extracting(CheckResult::name).containsExactly(
                KernelVersionCheck.NAME, SyscallSupportCheck.NAME, MaxUserNamespacesCheck.NAME,
                UnprivilegedUsernsCloneCheck.NAME, AppArmorUsernsRestrictionCheck.NAME, UserNamespaceProbeCheck.NAME,
                ContainerCheck.NAME, SubordinateIdsCheck.NAME, IdMapToolsCheck.NAME, SeccompCheck.NAME,
                OverlayCheck.NAME, ImageRootCheck.NAME, ImageOwnershipCheck.NAME, EgressCheck.NAME, "cgroups");
        assertThat(report.results()).filteredOn(r -> r.status() == Status.FAIL).isEmpty();
        assertThat(report.sandboxesCanRun()).isTrue();
        // unshare's probe shared by the probe and container checks; the image root probe (not answered here) once
        assertThat(fake.commandsRun).filteredOn(c -> c.get(0).endsWith("/unshare")).hasSize(1);
        assertThat(fake.commandsRun).filteredOn(c -> c.get(1).equals("--probe-root")).hasSize(1);
    }

    @Test
    void standardChecksFailOnAnOldLockedDownHost() {
        FakeHost fake = healthyHost().kernel("5.4.0-150-generic").proc("sys/user/max_user_namespaces", "0")
                .unshare(1, "unshare: unshare failed: No space left on device");
        HostReport report = HostProbe.runStandard(fake.environment(), List.of());

        assertThat(report.sandboxesCanRun()).isFalse();
        assertThat(report.blockingFailures()).extracting(CheckResult::name).containsExactly(
                KernelVersionCheck.NAME, SyscallSupportCheck.NAME, MaxUserNamespacesCheck.NAME,
                UserNamespaceProbeCheck.NAME);
        assertThat(report.render()).contains("sudo sysctl -w user.max_user_namespaces=15000");
    }

    @Test
    void unreadableIdentityIsReportedNotThrown() {
        FakeHost fake = healthyHost().proc("self/status", "Name:\tjava\n")
                .proc("sys/kernel/unprivileged_userns_clone", "0");
        HostReport report = HostProbe.runStandard(fake.environment(), List.of());
        CheckResult clone = report.results().get(3);
        assertThat(clone.status()).isEqualTo(Status.FAIL);
        assertThat(clone.detail()).contains("is /proc mounted?");
    }

    private FakeHost healthyHost() {
        return new FakeHost(root).user(1001, 1001).kernel("6.1.0-18-amd64")
                .etc("passwd", "root:x:0:0::/root:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n")
                .etc("subuid", "bob:100000:65536\n").etc("subgid", "bob:100000:65536\n")
                .proc("sys/user/max_user_namespaces", "63417")
                .proc("sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno user_notif trace log allow")
                .proc("filesystems", "nodev\tproc\nnodev\toverlay\n")
                .proc("1/cgroup", "0::/init.scope\n")
                .unshare(0, "");
    }
}
