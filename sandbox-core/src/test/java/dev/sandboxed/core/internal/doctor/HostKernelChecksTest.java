package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.KernelVersion;

class HostKernelChecksTest {
    @TempDir
    Path root;

    @Test
    void parsesReleasesWithDistributionSuffixes() {
        KernelVersion v = KernelVersion.parse("6.8.0-45-generic\n").orElseThrow();
        assertThat(v.major()).isEqualTo(6);
        assertThat(v.minor()).isEqualTo(8);
        assertThat(v.patch()).isEqualTo(0);
        assertThat(KernelVersion.parse("5.15").orElseThrow().patch()).isZero();
        assertThat(KernelVersion.parse("4.19.0-27-amd64").orElseThrow().atLeast(5, 6)).isFalse();
        assertThat(KernelVersion.parse("6.1.0").orElseThrow().atLeast(5, 12)).isTrue();
        assertThat(KernelVersion.parse("5.12.1").orElseThrow().atLeast(5, 12)).isTrue();
        assertThat(KernelVersion.parse("5.11.22").orElseThrow().atLeast(5, 12)).isFalse();
        assertThat(KernelVersion.parse("5.10.0").orElseThrow()).isGreaterThan(KernelVersion.parse("5.9.9").orElseThrow());
    }

    @Test
    void rejectsNonReleases() {
        assertThat(KernelVersion.parse("linux")).isEmpty();
        assertThat(KernelVersion.parse("")).isEmpty();
        assertThat(KernelVersion.parse(null)).isEmpty();
        assertThat(KernelVersion.parse("99999999999.1")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"5.11.0-generic, FAIL", "4.19.0, FAIL", "5.12.0, OK", "6.18.44-fc, OK"})
    void kernelVersionNeeds512(String release, Status expected) {
        CheckResult result = new KernelVersionCheck(new FakeHost(root).kernel(release).environment()).run();
        assertThat(result.status()).isEqualTo(expected);
        if (expected == Status.FAIL) {
            assertThat(result.detail()).contains("mount_setattr").contains(release);
            assertThat(result.fix()).isEqualTo("upgrade to Linux 5.12 or newer");
        } else {
            assertThat(result.fix()).isEmpty();
        }
    }

    @Test
    void kernelVersionFailsWhenOsreleaseIsMissing() {
        CheckResult result = new KernelVersionCheck(new FakeHost(root).environment()).run();
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail()).contains("osrelease");
        assertThat(result.fix()).contains("mount -t proc proc /proc");
    }

    @ParameterizedTest
    @CsvSource({"5.4.0, FAIL", "5.5.19, FAIL", "5.6.0, WARN", "5.8.18, WARN", "5.9.0, OK", "6.1.0, OK"})
    void syscallSupportFollowsKernelVersion(String release, Status expected) {
        CheckResult result = new SyscallSupportCheck(new FakeHost(root).kernel(release).environment()).run();
        assertThat(result.status()).isEqualTo(expected);
        switch (expected) {
            case FAIL -> assertThat(result.detail()).contains("openat2");
            case WARN -> assertThat(result.detail()).contains("close_range");
            case OK -> assertThat(result.fix()).isEmpty();
        }
    }

    @Test
    void overlayIsOkWhenListedOnNewKernel() {
        HostEnvironment host = new FakeHost(root).kernel("6.1.0")
                .proc("filesystems", "nodev\tsysfs\nnodev\tproc\n\text4\nnodev\toverlay\n").environment();
        assertThat(new OverlayCheck(host).run().status()).isEqualTo(Status.OK);
    }

    @Test
    void overlayWarnsWhenModuleNotLoaded() {
        HostEnvironment host = new FakeHost(root).kernel("6.1.0")
                .proc("filesystems", "nodev\tsysfs\n\text4\nnodev\toverlayfs-not-really\n").environment();
        CheckResult result = new OverlayCheck(host).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.fix()).startsWith("sudo modprobe overlay");
    }

    @Test
    void overlayWarnsBefore511() {
        HostEnvironment host = new FakeHost(root).kernel("5.10.0").proc("filesystems", "nodev\toverlay\n").environment();
        CheckResult result = new OverlayCheck(host).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.detail()).contains("5.10.0");
        assertThat(result.fix()).isEqualTo("upgrade to Linux 5.11 or newer");
    }

    @Test
    void readsKernelFromProc() {
        Optional<KernelVersion> v = KernelVersion.read(new FakeHost(root).kernel("5.15.0-1-amd64").environment());
        assertThat(v).map(KernelVersion::release).contains("5.15.0-1-amd64");
    }
}
