package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * The {@code allowNestedNamespaces} opt-in: exactly the namespace and mount syscalls become
 * allowed, every other decision stays what the profile says.
 */
class SeccompNestedNamespacesTest {
    private static final KernelVersion KERNEL = new KernelVersion(6, 1, 0);
    private static final int X86_64 = SyscallArch.X86_64.auditArch();
    private static final int I386 = SyscallArch.X86.auditArch();
    private static final int AARCH64 = SyscallArch.AARCH64.auditArch();
    private static final SeccompAction EPERM = SeccompAction.errno(1);
    private static final SeccompAction ENOSYS = SeccompAction.errno(38);
    private static final long SIGCHLD = 17;
    private static final long CLONE_NEWNS = 0x00020000L;
    private static final long CLONE_NEWCGROUP = 0x02000000L;
    private static final long CLONE_NEWUTS = 0x04000000L;
    private static final long CLONE_NEWIPC = 0x08000000L;
    private static final long CLONE_NEWUSER = 0x10000000L;
    private static final long CLONE_NEWPID = 0x20000000L;
    private static final long CLONE_NEWNET = 0x40000000L;
    private static final long ALL_NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
            | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
    /** Listed here independently of NestedNamespaces.SYSCALLS, so the test guards that list. */
    private static final List<String> NESTED = List.of("unshare", "setns", "clone", "mount", "umount2", "pivot_root",
            "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr");
    private static final long[][] NESTED_ARGS = {
        {},
        {SIGCHLD},
        {CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD},
        {ALL_NAMESPACES},
        {CLONE_NEWUSER, CLONE_NEWUSER},
        {-1L, -1L, -1L, -1L, -1L, -1L},
        {0xffffffff00000000L | CLONE_NEWUSER},
    };

    private static SeccompFilter filter(SeccompProfile profile, Set<Capability> caps, SyscallArch arch, boolean notify,
                                        boolean nested) {
        return SeccompFilters.forSandbox(profile, caps, arch, KERNEL, notify, nested).orElseThrow();
    }

    private static SeccompFilter defaultFilter(boolean nested) {
        return filter(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT, SyscallArch.X86_64, false, nested);
    }

    private static SeccompAction call(SeccompFilter filter, int audit, SyscallArch abi, String syscall, long... args) {
        long nr = Integer.toUnsignedLong(SyscallTable.of(abi).numberOf(syscall).orElseThrow());
        return BpfInterpreter.decide(filter.program(), SeccompData.of(audit, nr, args));
    }

    @Test
    void namespaceAndMountSyscallsAreAllowedOnEveryAbi() {
        SeccompFilter x86 = defaultFilter(true);
        SeccompFilter arm = filter(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT, SyscallArch.AARCH64, false, true);
        for (String syscall : NESTED) {
            for (long[] args : NESTED_ARGS) {
                String what = syscall + Arrays.toString(args);
                assertThat(call(x86, X86_64, SyscallArch.X86_64, syscall, args)).as("x86_64 " + what).isEqualTo(SeccompAction.ALLOW);
                assertThat(call(x86, I386, SyscallArch.X86, syscall, args)).as("i386 " + what).isEqualTo(SeccompAction.ALLOW);
                assertThat(call(x86, X86_64, SyscallArch.X32, syscall, args)).as("x32 " + what).isEqualTo(SeccompAction.ALLOW);
                assertThat(call(arm, AARCH64, SyscallArch.AARCH64, syscall, args)).as("aarch64 " + what).isEqualTo(SeccompAction.ALLOW);
            }
        }
    }

    @Test
    void cloneCreatingNamespacesIsAllowedOnlyWithTheFlag() {
        SeccompFilter off = defaultFilter(false);
        SeccompFilter on = defaultFilter(true);
        assertThat(call(off, X86_64, SyscallArch.X86_64, "clone", CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD)).isEqualTo(EPERM);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "clone", CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD)).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(off, X86_64, SyscallArch.X86_64, "unshare", CLONE_NEWUSER)).isEqualTo(EPERM);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "unshare", CLONE_NEWUSER)).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(off, X86_64, SyscallArch.X86_64, "mount")).isEqualTo(EPERM);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "mount")).isEqualTo(SeccompAction.ALLOW);
        // Plain clone (fork, pthread_create) is allowed either way.
        assertThat(call(off, X86_64, SyscallArch.X86_64, "clone", SIGCHLD)).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "clone", 0x003d0f00L)).isEqualTo(SeccompAction.ALLOW);
    }

    @Test
    void everythingElseKeepsItsDecision() {
        for (boolean nested : new boolean[] {false, true}) {
            SeccompFilter f = defaultFilter(nested);
            String mode = nested ? "with nested namespaces" : "without";
            assertThat(call(f, X86_64, SyscallArch.X86_64, "clone3")).as("clone3 " + mode).isEqualTo(ENOSYS);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "clone3", CLONE_NEWUSER)).as("clone3 " + mode).isEqualTo(ENOSYS);
            assertThat(call(f, I386, SyscallArch.X86, "clone3")).as("i386 clone3 " + mode).isEqualTo(ENOSYS);
            for (String refused : new String[] {"keyctl", "add_key", "request_key", "bpf", "umount" + "_x86_64_has_none",
                    "perf_event_open", "kexec_load", "init_module", "open_by_handle_at", "sethostname", "setdomainname",
                    "syslog", "quotactl", "lookup_dcookie", "fanotify_init"}) {
                if (SyscallTable.of(SyscallArch.X86_64).numberOf(refused).isEmpty()) {
                    assertThat(refused).endsWith("_has_none");
                    continue;
                }
                assertThat(call(f, X86_64, SyscallArch.X86_64, refused)).as(refused + " " + mode).isEqualTo(EPERM);
            }
            // i386 has the old umount(2) syscall; the opt-in is about umount2 only.
            assertThat(call(f, I386, SyscallArch.X86, "umount")).as("i386 umount " + mode).isEqualTo(EPERM);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "ioctl", 0, 0x5412)).as("TIOCSTI " + mode).isEqualTo(EPERM);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "ioctl", 0, 0xffffffff00005412L)).as("TIOCSTI " + mode).isEqualTo(EPERM);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "ioctl", 0, 0x541C)).as("TIOCLINUX " + mode).isEqualTo(EPERM);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "ioctl", 0, 0x5401)).as("TCGETS " + mode).isEqualTo(SeccompAction.ALLOW);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "personality", 0x0040000)).as("personality " + mode).isEqualTo(EPERM);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "socket", 38 /* AF_ALG */)).as("AF_ALG " + mode).isEqualTo(EPERM);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "ptrace")).as("ptrace " + mode).isEqualTo(SeccompAction.ALLOW);
            assertThat(BpfInterpreter.decide(f.program(), SeccompData.of(X86_64, 1000))).as("newer " + mode).isEqualTo(ENOSYS);
            assertThat(BpfInterpreter.decide(f.program(), SeccompData.of(0x40000028, 0))).as("ARM " + mode)
                    .isEqualTo(SeccompAction.KILL_PROCESS);
        }
    }

    @Test
    void reportingDenialsStillReportsEverythingElse() {
        SeccompFilter notify = filter(SeccompProfiles.builtInDefault(), Capability.DOCKER_DEFAULT, SyscallArch.X86_64, true, true);
        assertThat(call(notify, X86_64, SyscallArch.X86_64, "clone", CLONE_NEWUSER)).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(notify, X86_64, SyscallArch.X86_64, "mount")).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(notify, X86_64, SyscallArch.X86_64, "keyctl")).isEqualTo(SeccompAction.USER_NOTIF);
        assertThat(call(notify, X86_64, SyscallArch.X86_64, "clone3")).isEqualTo(ENOSYS);
        assertThat(call(notify, X86_64, SyscallArch.X86_64, "ioctl", 0, 0x5412)).isEqualTo(EPERM);
    }

    /**
     * For every number of every ABI, with the argument vectors the profile's comparisons call for:
     * the opt-in turns the listed syscalls into ALLOW and leaves every other decision bit-for-bit
     * as it was without it.
     */
    @TestFactory
    Stream<DynamicTest> onlyTheListedSyscallsChangeAnywhere() {
        JsonNode docker = ReferenceProfileEvaluator.readResource("/dev/sandboxed/core/internal/seccomp/docker-default.json");
        Set<Capability> withSysAdmin = EnumSet.copyOf(Capability.DOCKER_DEFAULT);
        withSysAdmin.add(Capability.SYS_ADMIN);
        List<DynamicTest> tests = new ArrayList<>();
        for (SeccompProfile profile : List.of(SeccompProfiles.builtInDefault(), SeccompProfiles.dockerDefault())) {
            for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
                for (Set<Capability> caps : List.of(Capability.DOCKER_DEFAULT, withSysAdmin)) {
                    for (boolean notify : new boolean[] {false, true}) {
                        String name = profile.name() + " on " + arch + (caps.contains(Capability.SYS_ADMIN) ? " with CAP_SYS_ADMIN" : "")
                                + (notify ? " reporting denials" : "");
                        tests.add(DynamicTest.dynamicTest(name, () -> compare(profile, docker, caps, arch, notify)));
                    }
                }
            }
        }
        return tests.stream();
    }

    private static void compare(SeccompProfile profile, JsonNode json, Set<Capability> caps, SyscallArch arch, boolean notify) {
        BpfProgram off = filter(profile, caps, arch, notify, false).program();
        BpfProgram on = filter(profile, caps, arch, notify, true).program();
        BpfVerifier.verify(on);
        assertThat(on.instructionCount()).isLessThan(4096);
        List<String> mismatches = new ArrayList<>();
        Set<String> changed = new TreeSet<>();
        int probes = 0;
        List<Object[]> abis = arch == SyscallArch.AARCH64
                ? List.<Object[]>of(new Object[] {"aarch64", AARCH64, 0L})
                : List.<Object[]>of(new Object[] {"x86_64", X86_64, 0L}, new Object[] {"i386", I386, 0L},
                        new Object[] {"x32", X86_64, ReferenceTables.X32_BIT});
        for (Object[] abi : abis) {
            TreeMap<Long, String> table = ReferenceTables.load((String) abi[0]);
            int audit = (Integer) abi[1];
            for (long nr = (Long) abi[2]; nr <= table.lastKey() + 16; nr++) {
                String name = table.get(nr);
                List<long[]> vectors = new ArrayList<>(name == null ? List.of(new long[6])
                        : ProbeArguments.forSyscall(json, name, name.equals("ioctl") ? Set.of(0x5412L, 0x541CL) : Set.of()));
                for (long[] extra : NESTED_ARGS) {
                    vectors.add(Arrays.copyOf(extra, 6));
                }
                for (long[] args : vectors) {
                    probes++;
                    SeccompAction before = BpfInterpreter.decide(off, SeccompData.of(audit, nr, args));
                    SeccompAction after = BpfInterpreter.decide(on, SeccompData.of(audit, nr, args));
                    SeccompAction expected = name != null && NESTED.contains(name) ? SeccompAction.ALLOW : before;
                    if (!before.equals(after)) {
                        changed.add(name);
                    }
                    if (!after.equals(expected) && mismatches.size() < 25) {
                        mismatches.add(String.format("%s nr=%d (%s) args=%s: without the flag %s, with it %s, expected %s",
                                abi[0], nr, name, Arrays.toString(args), before, after, expected));
                    }
                }
            }
        }
        assertThat(mismatches).as("decisions the opt-in must not change").isEmpty();
        assertThat(probes).isGreaterThan(1000);
        if (!caps.contains(Capability.SYS_ADMIN)) {
            assertThat(changed).as("syscalls whose decisions the opt-in changes").containsExactlyInAnyOrderElementsOf(NESTED);
        } else {
            // With CAP_SYS_ADMIN Docker's profile allows all of them but pivot_root, which it never lists.
            assertThat(changed).as("syscalls whose decisions the opt-in changes with CAP_SYS_ADMIN").containsExactly("pivot_root");
        }
    }

    @Test
    void rulesOfACustomProfileForTheseSyscallsAreReplacedAndOthersKept() {
        String json = "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": ["
                + "{\"names\": [\"read\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                + "{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
                + "{\"names\": [\"unshare\"], \"action\": \"SCMP_ACT_ALLOW\","
                + "  \"args\": [{\"index\": 0, \"value\": 268435456, \"op\": \"SCMP_CMP_MASKED_EQ\", \"valueTwo\": 0}]},"
                + "{\"names\": [\"keyctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}"
                + "]}";
        OciProfile profile = OciProfileParser.parse("test profile", json.getBytes(StandardCharsets.UTF_8));
        SeccompFilter off = filter(profile, Capability.DOCKER_DEFAULT, SyscallArch.X86_64, false, false);
        SeccompFilter on = filter(profile, Capability.DOCKER_DEFAULT, SyscallArch.X86_64, false, true);
        assertThat(call(off, X86_64, SyscallArch.X86_64, "mount")).isEqualTo(SeccompAction.errno(13));
        assertThat(call(on, X86_64, SyscallArch.X86_64, "mount")).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(off, X86_64, SyscallArch.X86_64, "unshare", CLONE_NEWUSER)).isEqualTo(SeccompAction.KILL_PROCESS);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "unshare", CLONE_NEWUSER)).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "fsopen")).isEqualTo(SeccompAction.ALLOW);
        for (SeccompFilter f : List.of(off, on)) {
            assertThat(call(f, X86_64, SyscallArch.X86_64, "read")).isEqualTo(SeccompAction.ALLOW);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "keyctl")).isEqualTo(ENOSYS);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "clone3")).isEqualTo(SeccompAction.KILL_PROCESS);
            assertThat(call(f, X86_64, SyscallArch.X86_64, "write")).isEqualTo(SeccompAction.KILL_PROCESS);
        }
    }

    @Test
    void aPermissiveProfileGetsNoExtraRules() {
        String json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                + "{\"names\": [\"mount\", \"keyctl\"], \"action\": \"SCMP_ACT_ERRNO\"}]}";
        OciProfile profile = OciProfileParser.parse("permissive profile", json.getBytes(StandardCharsets.UTF_8));
        SeccompPolicy policy = NestedNamespaces.allow(profile.policy(Capability.DOCKER_DEFAULT, SyscallArch.X86_64, KERNEL).orElseThrow());
        assertThat(policy.rules()).extracting(SyscallRule::syscall).containsExactly("keyctl");
        SeccompFilter on = filter(profile, Capability.DOCKER_DEFAULT, SyscallArch.X86_64, false, true);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "mount")).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(on, X86_64, SyscallArch.X86_64, "keyctl")).isEqualTo(EPERM);
    }

    @Test
    void thePolicyChangeIsExactlyTheListedRules() {
        SeccompPolicy base = SeccompProfiles.builtInDefault().policy(Capability.DOCKER_DEFAULT, SyscallArch.X86_64, KERNEL).orElseThrow();
        SeccompPolicy nested = NestedNamespaces.allow(base);
        assertThat(NestedNamespaces.SYSCALLS).containsExactlyInAnyOrderElementsOf(NESTED);
        assertThat(nested.defaultAction()).isEqualTo(base.defaultAction());
        assertThat(nested.abis()).isEqualTo(base.abis());
        assertThat(nested.rules()).filteredOn(r -> !NESTED.contains(r.syscall()))
                .containsExactlyElementsOf(base.rules().stream().filter(r -> !NESTED.contains(r.syscall())).toList());
        assertThat(nested.rules()).filteredOn(r -> NESTED.contains(r.syscall()))
                .containsExactlyInAnyOrderElementsOf(NESTED.stream().map(s -> SyscallRule.unconditional(s, SeccompAction.ALLOW)).toList());
    }

    @Test
    void unconfinedStaysUnconfined() {
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.UNCONFINED, Capability.DOCKER_DEFAULT, false, true)).isEmpty();
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.UNCONFINED, Capability.DOCKER_DEFAULT, true, true)).isEmpty();
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.unconfined(), Capability.DOCKER_DEFAULT, SyscallArch.AARCH64,
                KERNEL, false, true)).isEmpty();
    }

    @Test
    void theFlagIsPartOfTheCacheKey() {
        SeccompFilter threeArgs = SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, Capability.DOCKER_DEFAULT, false).orElseThrow();
        SeccompFilter off = SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, Capability.DOCKER_DEFAULT, false, false).orElseThrow();
        SeccompFilter on = SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, Capability.DOCKER_DEFAULT, false, true).orElseThrow();
        assertThat(off).isSameAs(threeArgs);
        assertThat(on).isNotSameAs(off);
        assertThat(on.program().bytes()).isNotEqualTo(off.program().bytes());
        assertThat(SeccompFilters.forSandbox(SeccompProfiles.DEFAULT, EnumSet.copyOf(Capability.DOCKER_DEFAULT), false, true)
                .orElseThrow()).isSameAs(on);
        // Whichever is asked for first, the other one is not served in its place.
        SeccompFilter explicitOn = filter(SeccompProfiles.dockerDefault(), Capability.DOCKER_DEFAULT, SyscallArch.AARCH64, true, true);
        SeccompFilter explicitOff = SeccompFilters.forSandbox(SeccompProfiles.dockerDefault(), Capability.DOCKER_DEFAULT,
                SyscallArch.AARCH64, KERNEL, true).orElseThrow();
        assertThat(call(explicitOn, AARCH64, SyscallArch.AARCH64, "unshare")).isEqualTo(SeccompAction.ALLOW);
        assertThat(call(explicitOff, AARCH64, SyscallArch.AARCH64, "unshare")).isEqualTo(SeccompAction.USER_NOTIF);
    }
}
