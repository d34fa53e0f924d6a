package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.CommandRunner;
import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.internal.host.UserNamespaceProbe;
import dev.sandboxed.core.internal.host.UserNamespaceSysctls;

class HostUserNamespaceChecksTest {
    private static final Supplier<UserIdentity> ROOT = () -> new UserIdentity(0, 0, 0, "root");
    private static final Supplier<UserIdentity> BOB = () -> new UserIdentity(1001, 1001, 1001, "bob");

    @TempDir
    Path root;

    @Test
    void maxUserNamespacesZeroFailsWithSysctlFix() {
        HostEnvironment host = new FakeHost(root).proc("sys/user/max_user_namespaces", "0\n").environment();
        CheckResult result = new MaxUserNamespacesCheck(host).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail()).contains("= 0");
        assertThat(result.fix()).startsWith("sudo sysctl -w user.max_user_namespaces=15000");
    }

    @Test
    void maxUserNamespacesPositiveIsOk() {
        HostEnvironment host = new FakeHost(root).proc("sys/user/max_user_namespaces", "63417\n").environment();
        CheckResult result = new MaxUserNamespacesCheck(host).run();
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).isEqualTo("user.max_user_namespaces = 63417");
    }

    @Test
    void maxUserNamespacesMissingMeansKernelWithoutUserNamespaces() {
        CheckResult result = new MaxUserNamespacesCheck(new FakeHost(root).environment()).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.fix()).contains("CONFIG_USER_NS=y");
    }

    @Test
    void unprivilegedCloneZeroFailsForUsers() {
        HostEnvironment host = new FakeHost(root).proc("sys/kernel/unprivileged_userns_clone", "0").environment();
        CheckResult result = new UnprivilegedUsernsCloneCheck(host, BOB).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.fix()).startsWith("sudo sysctl -w kernel.unprivileged_userns_clone=1");
    }

    @Test
    void unprivilegedCloneZeroOnlyWarnsForRoot() {
        HostEnvironment host = new FakeHost(root).proc("sys/kernel/unprivileged_userns_clone", "0").environment();
        CheckResult result = new UnprivilegedUsernsCloneCheck(host, ROOT).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.fix()).startsWith("sudo sysctl -w kernel.unprivileged_userns_clone=1");
    }

    @Test
    void unprivilegedCloneOneOrMissingIsOk() {
        HostEnvironment enabled = new FakeHost(root).proc("sys/kernel/unprivileged_userns_clone", "1").environment();
        assertThat(new UnprivilegedUsernsCloneCheck(enabled, BOB).run().status()).isEqualTo(Status.OK);

        HostEnvironment absent = HostEnvironment.underRoot(root.resolve("other"), Map.of(),
                (c, t) -> CommandRunner.Result.exited(0, ""));
        CheckResult result = new UnprivilegedUsernsCloneCheck(absent, BOB).run();
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).contains("not present");
    }

    @Test
    void apparmorRestrictionOneFailsWithProfileOrSysctlFix() {
        HostEnvironment host = new FakeHost(root)
                .proc("sys/kernel/apparmor_restrict_unprivileged_userns", "1\n").environment();
        CheckResult result = new AppArmorUsernsRestrictionCheck(host, BOB).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.fix())
                .contains("AppArmor profile")
                .contains("userns,")
                .contains("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
    }

    @Test
    void apparmorRestrictionOnlyWarnsForRoot() {
        HostEnvironment host = new FakeHost(root)
                .proc("sys/kernel/apparmor_restrict_unprivileged_userns", "1\n").environment();
        assertThat(new AppArmorUsernsRestrictionCheck(host, ROOT).run().status()).isEqualTo(Status.WARN);
    }

    @Test
    void apparmorRestrictionZeroOrMissingIsOk() {
        HostEnvironment zero = new FakeHost(root)
                .proc("sys/kernel/apparmor_restrict_unprivileged_userns", "0\n").environment();
        assertThat(new AppArmorUsernsRestrictionCheck(zero, BOB).run().status()).isEqualTo(Status.OK);
        HostEnvironment missing = new FakeHost(root.resolve("x")).environment();
        assertThat(new AppArmorUsernsRestrictionCheck(missing, BOB).run().status()).isEqualTo(Status.OK);
    }

    @Test
    void probeRunsUnshareOnceAndReportsSuccess() {
        FakeHost fake = new FakeHost(root).unshare(0, "");
        UserNamespaceProbe probe = new UserNamespaceProbe(fake.environment());

        CheckResult first = new UserNamespaceProbeCheck(probe, BOB).run();
        CheckResult second = new UserNamespaceProbeCheck(probe, BOB).run();

        assertThat(first.status()).isEqualTo(Status.OK);
        assertThat(second).isEqualTo(first);
        assertThat(fake.commandsRun).containsExactly(
                List.of(root.resolve("usr/bin/unshare").toString(), "--user", "--map-root-user", "true"));
    }

    @Test
    void probeFailureReportsUnsharesError() {
        FakeHost fake = new FakeHost(root).unshare(1, "unshare: unshare failed: Operation not permitted\n");
        CheckResult result = new UserNamespaceProbeCheck(new UserNamespaceProbe(fake.environment()), BOB).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail())
                .contains("unshare --user --map-root-user true failed (exit 1)")
                .contains("Operation not permitted");
        assertThat(result.fix()).contains("seccomp=unconfined");
    }

    @Test
    void probeFailureIsReportedForRootToo() {
        FakeHost fake = new FakeHost(root).unshare(1, "unshare: unshare failed: Operation not permitted");
        CheckResult result = new UserNamespaceProbeCheck(new UserNamespaceProbe(fake.environment()), ROOT).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
    }

    @Test
    void withoutUnshareUsersGetAWarningAndRootAnOk() {
        HostEnvironment host = new FakeHost(root).environment();
        CheckResult user = new UserNamespaceProbeCheck(new UserNamespaceProbe(host), BOB).run();
        assertThat(user.status()).isEqualTo(Status.WARN);
        assertThat(user.fix()).isEqualTo("sudo apt-get install util-linux");

        CheckResult asRoot = new UserNamespaceProbeCheck(new UserNamespaceProbe(host), ROOT).run();
        assertThat(asRoot.status()).isEqualTo(Status.OK);
        assertThat(asRoot.detail()).contains("running as root, which can always create user namespaces");
    }

    @Test
    void sysctlsDecideWhenNothingElseIsKnown() {
        HostEnvironment host = new FakeHost(root)
                .proc("sys/user/max_user_namespaces", "100")
                .proc("sys/kernel/apparmor_restrict_unprivileged_userns", "1").environment();
        UserNamespaceSysctls sysctls = UserNamespaceSysctls.read(host);
        assertThat(sysctls.allow(true)).isTrue();
        assertThat(sysctls.allow(false)).isFalse();
    }
}
