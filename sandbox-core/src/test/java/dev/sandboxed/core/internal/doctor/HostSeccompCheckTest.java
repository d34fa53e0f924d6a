package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.FakeHost;

class HostSeccompCheckTest {
    private static final String ALL = "kill_process kill_thread trap errno user_notif trace log allow\n";

    @TempDir
    Path root;

    @Test
    void allActionsAreOk() {
        FakeHost fake = new FakeHost(root).user(1001, 1001).proc("sys/kernel/seccomp/actions_avail", ALL);
        CheckResult result = new SeccompCheck(fake.environment()).run();
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.fix()).isEmpty();
    }

    @Test
    void missingUserNotifOnlyWarns() {
        FakeHost fake = new FakeHost(root).user(1001, 1001)
                .proc("sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno trace log allow\n");
        CheckResult result = new SeccompCheck(fake.environment()).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.detail()).contains("user_notif").contains("denial reports");
    }

    @Test
    void missingRequiredActionFails() {
        FakeHost fake = new FakeHost(root).user(1001, 1001)
                .proc("sys/kernel/seccomp/actions_avail", "kill_thread trap errno trace allow\n");
        CheckResult result = new SeccompCheck(fake.environment()).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail()).contains("missing: kill_process log");
    }

    @Test
    void missingActionsFileFails() {
        CheckResult result = new SeccompCheck(new FakeHost(root).user(1001, 1001).environment()).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail()).contains("actions_avail");
    }

    @Test
    void noSeccompFieldMeansKernelWithoutSeccomp() {
        FakeHost fake = new FakeHost(root).proc("self/status", "Name:\tjava\nUid:\t0\t0\t0\t0\n")
                .proc("sys/kernel/seccomp/actions_avail", ALL);
        CheckResult result = new SeccompCheck(fake.environment()).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.fix()).contains("CONFIG_SECCOMP=y");
    }

    @Test
    void notesAnExistingFilter() {
        FakeHost fake = new FakeHost(root).proc("self/status", "Seccomp:\t2\nSeccomp_filters:\t1\n")
                .proc("sys/kernel/seccomp/actions_avail", ALL);
        CheckResult result = new SeccompCheck(fake.environment()).run();
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).contains("seccomp mode 2 with 1 filter(s)");
    }
}
