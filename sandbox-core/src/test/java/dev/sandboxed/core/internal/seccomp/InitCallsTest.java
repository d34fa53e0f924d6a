package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/** Which filters the sandbox's init may load into itself: those that allow every call it makes afterwards. */
class InitCallsTest {
    private static final KernelVersion KERNEL = new KernelVersion(6, 1, 0);

    private static SeccompFilter filter(SeccompProfile profile, Set<Capability> caps, SyscallArch arch,
            boolean reports) {
        return SeccompFilters.forSandbox(profile, caps, arch, KERNEL, reports).orElseThrow();
    }

    private static SeccompProfile allowingAllBut(String rule) {
        String json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [" + rule + "]}";
        return OciProfileParser.parse("test profile", json.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @EnumSource(value = SyscallArch.class, names = {"X86_64", "AARCH64"})
    void theDefaultProfilesWithAndWithoutCapabilitiesOrReportsAreHeld(SyscallArch arch) {
        for (SeccompProfile profile : List.of(SeccompProfiles.builtInDefault(), SeccompProfiles.dockerDefault())) {
            for (Set<Capability> caps : List.of(EnumSet.noneOf(Capability.class), Capability.DOCKER_DEFAULT)) {
                for (boolean reports : new boolean[] {false, true}) {
                    assertThat(InitCalls.allowedBy(filter(profile, caps, arch, reports)))
                            .as("%s, %s, caps %s, reports %s", profile, arch, caps, reports).isTrue();
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\"}",
        "{\"names\": [\"wait4\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}",
        "{\"names\": [\"setresuid\"], \"action\": \"SCMP_ACT_ERRNO\"}", // a starting process's, before execve
        // SECCOMP_IOCTL_NOTIF_RECV only: the init could no longer answer a notification
        "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\","
                + " \"args\": [{\"index\": 1, \"value\": 3226476800, \"op\": \"SCMP_CMP_EQ\"}]}",
        // clone with CLONE_VFORK: how the init starts a process
        "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\","
                + " \"args\": [{\"index\": 0, \"value\": 16384, \"valueTwo\": 16384,"
                + " \"op\": \"SCMP_CMP_MASKED_EQ\"}]}"})
    void aFilterRefusingOneOfTheInitsCallsIsNotHeld(String rule) {
        for (SyscallArch arch : new SyscallArch[] {SyscallArch.X86_64, SyscallArch.AARCH64}) {
            assertThat(InitCalls.allowedBy(filter(allowingAllBut(rule), Capability.DOCKER_DEFAULT, arch, true)))
                    .as(arch.toString()).isFalse();
        }
    }

    @Test
    void aFilterJudgingAnArgumentTheListLeavesOutIsNotHeld() {
        // kill(-1, SIGKILL) when the init ends: the list names no arguments for kill, so the check passes zeros
        SeccompProfile profile = allowingAllBut("{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\","
                + " \"args\": [{\"index\": 1, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]}");
        assertThat(InitCalls.allowedBy(filter(profile, Capability.DOCKER_DEFAULT, SyscallArch.X86_64, true))).isFalse();
    }

    @Test
    void aFilterLoggingOneOfTheInitsCallsIsHeld() {
        SeccompProfile profile = allowingAllBut("{\"names\": [\"kill\", \"wait4\"], \"action\": \"SCMP_ACT_LOG\"}");
        assertThat(InitCalls.allowedBy(filter(profile, Capability.DOCKER_DEFAULT, SyscallArch.X86_64, true))).isTrue();
    }

    @Test
    void aFilterRefusingOnlyWhatTheInitNeverCallsIsHeld() {
        SeccompProfile profile = allowingAllBut("{\"names\": [\"mkdir\", \"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                + "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\","
                + " \"args\": [{\"index\": 1, \"value\": 21522, \"op\": \"SCMP_CMP_EQ\"}]}"); // TIOCSTI
        assertThat(InitCalls.allowedBy(filter(profile, Capability.DOCKER_DEFAULT, SyscallArch.X86_64, true))).isTrue();
    }

    @Test
    void aFilterSendingBindToTheInitIsNotHeld() {
        SeccompFilter bypass = SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.X86_64, KERNEL, true, false, false, true).orElseThrow();
        assertThat(bypass.notifyBind()).isTrue();
        assertThat(InitCalls.allowedBy(bypass)).isFalse();
    }
}
