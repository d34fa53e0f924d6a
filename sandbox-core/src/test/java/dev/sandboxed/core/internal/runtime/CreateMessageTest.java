package dev.sandboxed.core.internal.runtime;

import static dev.sandboxed.core.internal.protocol.Protocol.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.cgroup.SandboxCgroup;
import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.rootfs.MountPlan;
import dev.sandboxed.core.internal.seccomp.SeccompFilter;
import dev.sandboxed.core.internal.seccomp.SeccompFilters;
import dev.sandboxed.core.internal.seccomp.SeccompProfiles;
import dev.sandboxed.core.internal.seccomp.SyscallArch;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;

/** The complete set-up description handed to sandbox-init, computed without touching the host. */
class CreateMessageTest {
    private static final IdMapPlan SINGLE = new IdMapPlan(Optional.of("deny"), "0 1000 1", "0 1000 1", List.of(), List.of(), 0);

    private static final SandboxCgroup CGROUP = new SandboxCgroup() {
        @Override
        public List<Path> procsFiles() {
            return List.of(Path.of("/sys/fs/cgroup/sandboxed-x/cgroup.procs"));
        }

        @Override
        public List<Path> directories() {
            return List.of(Path.of("/sys/fs/cgroup/sandboxed-x"));
        }

        @Override
        public ResourceUsage usage() {
            return ResourceUsage.NOT_AVAILABLE;
        }

        @Override
        public void killAll() {
        }

        @Override
        public void close() {
        }
    };

    private static Message create(SandboxSpec spec, IdMapPlan ids) {
        return Message.parse(CreateMessage.of(spec, ids, MountPlan.forSpec(spec, Optional.empty()), CGROUP).toBytes());
    }

    @Test
    void theInitGetsTheFilterToHoldWithItsDenialErrnoButNotOneForThePortBypass() {
        SeccompFilter reports = SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.X86_64, new KernelVersion(6, 1, 0), true).orElseThrow();
        Message create = Message.of(K_CREATE);
        CreateMessage.filterForInit(create, reports);
        assertThat(create.find(F_SECCOMP).orElseThrow().data()).isEqualTo(reports.bytes());
        assertThat(create.find(F_SECCOMP_NOTIFY).orElseThrow().u32()).isEqualTo(Errno.EPERM);

        Message quiet = Message.of(K_CREATE);
        CreateMessage.filterForInit(quiet, SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(),
                Capability.DOCKER_DEFAULT, SyscallArch.X86_64, new KernelVersion(6, 1, 0), false).orElseThrow());
        assertThat(quiet.find(F_SECCOMP)).isPresent();
        assertThat(quiet.find(F_SECCOMP_NOTIFY)).isEmpty();

        Message bypass = Message.of(K_CREATE);
        CreateMessage.filterForInit(bypass, SeccompFilters.forSandbox(SeccompProfiles.builtInDefault(),
                Capability.DOCKER_DEFAULT, SyscallArch.X86_64, new KernelVersion(6, 1, 0), true, false, false, true)
                .orElseThrow());
        assertThat(bypass.find(F_SECCOMP)).isEmpty();
        assertThat(bypass.find(F_SECCOMP_NOTIFY)).isEmpty();
    }

    @Test
    void aNetworkMemberCarriesTheNetworkAndItsAddressAndBindsTheNetworksEtcFiles() {
        SandboxSpec spec = SandboxSpec.builder().joinNetwork("backend", "db").build();
        MountPlan plan = MountPlan.forSpec(spec, Optional.empty(),
                Optional.of(new MountPlan.NetworkEtc(Path.of("/state/net-1/hosts"), Path.of("/state/net-1/resolv.conf"))));
        Message built = CreateMessage.of(spec, SINGLE, plan, CGROUP);
        CreateMessage.onNetwork(built, 7, "10.89.3.200", 24);
        Message m = Message.parse(built.toBytes());
        assertThat(m.u32(F_NETWORK, 0)).isEqualTo(7);
        assertThat(m.find(F_NET_ADDRESS).orElseThrow().data()).containsExactly(10, 89, 3, (byte) 200, 24);
        assertThat(plan.ops()).filteredOn(op -> op.target().startsWith("/etc/"))
                .extracting(op -> op.source() + " -> " + op.target())
                .containsExactly("/state/net-1/hosts -> /etc/hosts", "/state/net-1/resolv.conf -> /etc/resolv.conf");
    }

    @Test
    void defaultSpecAsksForEveryNamespaceAndTheSingleMapping() {
        Message m = create(SandboxSpec.builder().hostname("h1").build(), SINGLE);
        assertThat(m.kind()).isEqualTo(K_CREATE);
        long flags = m.find(F_CLONE_FLAGS).orElseThrow().u64(0);
        assertThat(flags).isEqualTo(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
        assertThat(m.string(F_SETGROUPS, null)).isEqualTo("deny");
        assertThat(m.string(F_UID_MAP, null)).isEqualTo("0 1000 1");
        assertThat(m.find(F_UID_MAP_CMD)).isEmpty();
        assertThat(m.u32(F_CGROUP_NS, 0)).isEqualTo(1);
        assertThat(m.string(F_HOSTNAME, null)).isEqualTo("h1");
        assertThat(m.u32(F_LOOPBACK_UP, 0)).isEqualTo(1);
        assertThat(m.string(F_CGROUP_PROCS, null)).isEqualTo("/sys/fs/cgroup/sandboxed-x/cgroup.procs");
        assertThat(m.fields().stream().filter(f -> f.tag() == F_MOUNT_OP).count()).isGreaterThan(20);
    }

    @Test
    void rangeMappingUsesTheHelpersAndAllowsGroups() {
        IdMapPlan range = new IdMapPlan(Optional.empty(), "", "",
                List.of("/usr/bin/newuidmap", "0", "1000", "1", "1", "100000", "65535"),
                List.of("/usr/bin/newgidmap", "0", "1000", "1", "1", "100000", "65535"), 65535);
        Message m = create(SandboxSpec.defaults(), range);
        assertThat(m.find(F_SETGROUPS)).isEmpty();
        assertThat(m.find(F_UID_MAP)).isEmpty();
        assertThat(new String(m.find(F_UID_MAP_CMD).orElseThrow().data())).isEqualTo("/usr/bin/newuidmap\0" + "0\0" + "1000\0" + "1\0" + "1\0" + "100000\0" + "65535\0");
        assertThat(range.canSetGroups()).isTrue();
        assertThat(SINGLE.canSetGroups()).isFalse();
    }

    @Test
    void switchedOffNamespacesAreNotCreated() {
        Message m = create(SandboxSpec.builder().withoutNamespace(Namespace.NET).withoutNamespace(Namespace.UTS)
                .withoutNamespace(Namespace.CGROUP).build(), SINGLE);
        long flags = m.find(F_CLONE_FLAGS).orElseThrow().u64(0);
        assertThat(flags & (CLONE_NEWNET | CLONE_NEWUTS)).isZero();
        assertThat(m.find(F_LOOPBACK_UP)).isEmpty();
        assertThat(m.find(F_HOSTNAME)).isEmpty();
        assertThat(m.find(F_CGROUP_NS)).isEmpty();
    }

    @Test
    void execMessageCarriesIdentityCapabilitiesAndHardening() {
        SandboxSpec spec = SandboxSpec.builder().env("A", "1").workdir("/tmp").build();
        Message m = Message.parse(ProcessMessages.exec(7, ProcessRole.MAIN, spec,
                ProcessSpec.builder("sh", "-c", "x").env("B", "2").user(new UserSpec(0, 0)).build(), SINGLE, Optional.empty()).message().toBytes());
        assertThat(m.kind()).isEqualTo(K_EXEC);
        assertThat(m.u32(F_EXEC_ID, 0)).isEqualTo(7);
        assertThat(m.u32(F_MAIN, 0)).isEqualTo(1);
        assertThat(m.fields().stream().filter(f -> f.tag() == F_ARG).map(Message.Field::string)).containsExactly("sh", "-c", "x");
        assertThat(m.fields().stream().filter(f -> f.tag() == F_ENV).map(Message.Field::string))
                .contains("A=1", "B=2", "PATH=" + SandboxSpec.DEFAULT_PATH);
        assertThat(m.string(F_CWD, null)).isEqualTo("/tmp");
        assertThat(m.find(F_GROUPS)).as("setgroups is denied under the single mapping").isEmpty();
        assertThat(m.find(F_CAPS).orElseThrow().u64(0)).isEqualTo(0xa80425fbL);
        assertThat(m.find(F_CAPS).orElseThrow().u64(8)).isEqualTo(0xa80425fbL);
        assertThat(m.u32(F_NO_NEW_PRIVS, 0)).isEqualTo(1);
        assertThat(m.u32(F_NEW_SESSION, 0)).isEqualTo(1);
    }

    @Test
    void nonRootUsersHoldNoCapabilities() {
        IdMapPlan range = new IdMapPlan(Optional.empty(), "", "", List.of("x"), List.of("y"), 65535);
        Message m = Message.parse(ProcessMessages.exec(1, ProcessRole.EXTRA, SandboxSpec.defaults(),
                ProcessSpec.builder("id").user(new UserSpec(1000, 1000)).build(), range, Optional.empty()).message().toBytes());
        assertThat(m.find(F_CAPS).orElseThrow().u64(0)).isEqualTo(0xa80425fbL);
        assertThat(m.find(F_CAPS).orElseThrow().u64(8)).isZero();
        assertThat(m.find(F_GROUPS)).isPresent();
        assertThat(m.fields().stream().filter(f -> f.tag() == F_ENV).map(Message.Field::string)).contains("HOME=/");
    }

    @Test
    void smallProcessesCarryTheirStringsInTheMessage() {
        try (ExecMessage exec = ProcessMessages.exec(1, ProcessRole.EXTRA, SandboxSpec.defaults(),
                ProcessSpec.of("echo", "x".repeat(60_000)), SINGLE, Optional.empty())) {
            assertThat(exec.argvMemfd()).isEqualTo(-1);
            assertThat(exec.fds(new int[] {5, 6, 7})).containsExactly(5, 6, 7);
            Message m = Message.parse(exec.message().toBytes());
            assertThat(m.find(F_ARGV_MEMFD)).isEmpty();
            assertThat(m.fields().stream().filter(f -> f.tag() == F_ARG).count()).isEqualTo(2);
        }
    }

    @Test
    void largeProcessesCarryTheirStringsInASealedMemfd() throws Exception {
        List<String> command = new ArrayList<>(List.of("echo"));
        for (int i = 0; i < 10; i++) {
            command.add(i + "x".repeat(10_000));
        }
        ProcessSpec process = ProcessSpec.builder(command).env("BIG", "y".repeat(50_000)).build();
        try (ExecMessage exec = ProcessMessages.exec(1, ProcessRole.EXTRA, SandboxSpec.defaults(), process, SINGLE,
                Optional.empty())) {
            assertThat(exec.argvMemfd()).isGreaterThanOrEqualTo(0);
            assertThat(exec.fds(new int[] {5, 6, 7})).containsExactly(5, 6, 7, exec.argvMemfd());
            assertThat(Native.seals(exec.argvMemfd())).isEqualTo(
                    Native.F_SEAL_SHRINK | Native.F_SEAL_GROW | Native.F_SEAL_WRITE | Native.F_SEAL_SEAL);
            Message m = Message.parse(exec.message().toBytes());
            assertThat(m.fields()).noneMatch(f -> f.tag() == F_ARG || f.tag() == F_ENV);
            assertThat(m.find(F_CWD)).as("the rest stays in the message").isPresent();
            byte[] content = Files.readAllBytes(Path.of("/proc/self/fd/" + exec.argvMemfd()));
            assertThat(m.u32(F_ARGV_MEMFD, 0)).isEqualTo(content.length);
            Message strings = Message.parse(content);
            assertThat(strings.fields()).allMatch(f -> f.tag() == F_ARG || f.tag() == F_ENV);
            assertThat(strings.fields().stream().filter(f -> f.tag() == F_ARG).map(Message.Field::string))
                    .containsExactlyElementsOf(command);
            assertThat(strings.fields().stream().filter(f -> f.tag() == F_ENV).map(Message.Field::string))
                    .contains("BIG=" + "y".repeat(50_000), "PATH=" + SandboxSpec.DEFAULT_PATH);
        }
    }

    @Test
    void processesBeyondWhatTheInitTakesAreRefusedNamingTheLargerPart() {
        List<String> command = new ArrayList<>(List.of("echo"));
        for (int i = 0; i < 50; i++) {
            command.add("x".repeat(100_000));
        }
        assertThatThrownBy(() -> ProcessMessages.exec(1, ProcessRole.EXTRA, SandboxSpec.defaults(),
                ProcessSpec.of(command.toArray(String[]::new)), SINGLE, Optional.empty()))
                .isInstanceOf(SpecException.class).hasMessageStartingWith("command: arguments (5000")
                .hasMessageContaining("at most 4194304").hasMessageNotContaining("\n");
        ProcessSpec.Builder env = ProcessSpec.builder("true");
        for (int i = 0; i < 50; i++) {
            env.env("V" + i, "x".repeat(100_000));
        }
        assertThatThrownBy(() -> ProcessMessages.exec(1, ProcessRole.EXTRA, SandboxSpec.defaults(), env.build(),
                SINGLE, Optional.empty())).isInstanceOf(SpecException.class).hasMessageStartingWith("env: arguments");
        assertThatThrownBy(() -> ProcessMessages.checkSize(SandboxSpec.defaults(), env.build()))
                .as("the check before a one-shot sandbox is made").hasMessageStartingWith("env: arguments");
        ProcessMessages.checkSize(SandboxSpec.defaults(), ProcessSpec.of("x".repeat(100_000)));
    }
}
