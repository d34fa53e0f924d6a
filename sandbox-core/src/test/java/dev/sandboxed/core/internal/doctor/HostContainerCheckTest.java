package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.ContainerEvidence;
import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.UserNamespaceProbe;

class HostContainerCheckTest {
    @TempDir
    Path root;

    private CheckResult check(FakeHost fake) {
        HostEnvironment host = fake.environment();
        return new ContainerCheck(host, new UserNamespaceProbe(host)).run();
    }

    @Test
    void noMarkersMeansNoContainer() {
        CheckResult result = check(new FakeHost(root).proc("1/cgroup", "0::/init.scope\n").unshare(1, "denied"));
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).isEqualTo("not running in a container");
    }

    @Test
    void dockerBlockingUserNamespacesFailsWithSeccompAdvice() {
        CheckResult result = check(new FakeHost(root).file("/.dockerenv", "")
                .unshare(1, "unshare: unshare failed: Operation not permitted"));
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail()).contains("inside docker").contains("/.dockerenv exists");
        assertThat(result.fix())
                .contains("Docker's default seccomp profile blocks unshare")
                .contains("--security-opt seccomp=unconfined")
                .contains("--privileged");
    }

    @Test
    void dockerAllowingUserNamespacesIsOk() {
        CheckResult result = check(new FakeHost(root).file("/.dockerenv", "").unshare(0, ""));
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).contains("allows user namespaces");
    }

    @Test
    void podmanIsDetectedFromContainerenv() {
        CheckResult result = check(new FakeHost(root).file("/run/.containerenv", "engine=\"podman\"\n").unshare(1, "x"));
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.fix()).contains("podman run --security-opt seccomp=unconfined");
    }

    @Test
    void kubernetesIsDetectedFromPid1Cgroup() {
        CheckResult result = check(new FakeHost(root)
                .proc("1/cgroup", "0::/kubepods/besteffort/pod1234/abcd\n").file("/.dockerenv", "").unshare(1, "x"));
        assertThat(result.detail()).contains("inside kubernetes");
        assertThat(result.fix()).contains("seccompProfile.type: Unconfined");
    }

    @Test
    void containerVariableIsAMarker() {
        FakeHost fake = new FakeHost(root).unshare(1, "x");
        fake.env.put("container", "lxc");
        CheckResult result = check(fake);
        assertThat(result.status()).isEqualTo(Status.FAIL);
        assertThat(result.detail()).contains("container=lxc");
        assertThat(result.fix()).contains("--security-opt seccomp=unconfined");
    }

    @Test
    void withoutUnshareTheContainerIsOnlyAWarning() {
        CheckResult result = check(new FakeHost(root).file("/.dockerenv", ""));
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.fix()).contains("util-linux");
    }

    @Test
    void evidenceListsEveryMarker() {
        FakeHost fake = new FakeHost(root).file("/.dockerenv", "")
                .proc("1/cgroup", "12:pids:/docker/0123abcd\n");
        fake.env.put("container", "docker");
        ContainerEvidence evidence = ContainerEvidence.detect(fake.environment());
        assertThat(evidence.runtime()).contains("docker");
        assertThat(evidence.markers()).containsExactly("/proc/1/cgroup mentions docker", "/.dockerenv exists",
                "container=docker");
    }
}
