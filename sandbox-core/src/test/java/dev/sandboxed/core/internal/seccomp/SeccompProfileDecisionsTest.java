package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.Capability;

/**
 * Exhaustive check: for every syscall number of every table and ABI (plus gaps, numbers newer
 * than the tables, x32 numbers and foreign arches), the compiled program returns what the
 * independent {@link ReferenceProfileEvaluator} derives from the profile JSON.
 */
class SeccompProfileDecisionsTest {
    static final Path PODMAN_PROFILE = Path.of("/usr/share/containers/seccomp.json");
    private static final KernelVersion KERNEL = new KernelVersion(6, 1, 0);
    private static final int[] KERNEL_PARTS = {6, 1};
    private static final Set<Capability> DOCKER_CAPS = Capability.DOCKER_DEFAULT;
    private static final Set<Capability> DOCKER_CAPS_AND_SYS_ADMIN = with(Capability.DOCKER_DEFAULT, Capability.SYS_ADMIN);

    @TestFactory
    Stream<DynamicTest> builtInDefaultMatchesDockerProfilePlusHardening() {
        JsonNode docker = ReferenceProfileEvaluator.readResource("/dev/sandboxed/core/internal/seccomp/docker-default.json");
        return cases("default", SeccompProfiles.builtInDefault(), docker, ReferenceProfileEvaluator.Hardening.BUILT_IN_DEFAULT);
    }

    @TestFactory
    Stream<DynamicTest> dockerDefaultMatchesItsJson() {
        JsonNode docker = ReferenceProfileEvaluator.readResource("/dev/sandboxed/core/internal/seccomp/docker-default.json");
        return cases("docker-default", SeccompProfiles.dockerDefault(), docker, ReferenceProfileEvaluator.Hardening.NONE);
    }

    @TestFactory
    Stream<DynamicTest> podmanProfileMatchesItsJson() {
        Assumptions.assumeTrue(Files.isReadable(PODMAN_PROFILE), () -> {
            System.out.println("skipped: " + PODMAN_PROFILE + " is missing (Debian package golang-github-containers-common)");
            return PODMAN_PROFILE + " is missing";
        });
        JsonNode podman = ReferenceProfileEvaluator.read(PODMAN_PROFILE);
        return Stream.concat(
                cases("podman", SeccompProfiles.fromFile(PODMAN_PROFILE), podman, ReferenceProfileEvaluator.Hardening.NONE),
                Stream.of(DynamicTest.dynamicTest("podman without any capability", () -> check(
                        SeccompProfiles.fromFile(PODMAN_PROFILE), podman, ReferenceProfileEvaluator.Hardening.NONE,
                        EnumSet.noneOf(Capability.class), SyscallArch.X86_64, false))));
    }

    private Stream<DynamicTest> cases(String label, SeccompProfile profile, JsonNode json,
                                      ReferenceProfileEvaluator.Hardening hardening) {
        List<DynamicTest> tests = new ArrayList<>();
        for (SyscallArch arch : List.of(SyscallArch.X86_64, SyscallArch.AARCH64)) {
            for (Set<Capability> caps : List.of(DOCKER_CAPS, DOCKER_CAPS_AND_SYS_ADMIN)) {
                for (boolean notify : new boolean[] {false, true}) {
                    String name = label + " on " + arch + (caps.contains(Capability.SYS_ADMIN) ? " with CAP_SYS_ADMIN" : "")
                            + (notify ? " reporting denials" : "");
                    tests.add(DynamicTest.dynamicTest(name, () -> check(profile, json, hardening, caps, arch, notify)));
                }
            }
        }
        return tests.stream();
    }

    private static void check(SeccompProfile profile, JsonNode json, ReferenceProfileEvaluator.Hardening hardening,
                              Set<Capability> caps, SyscallArch arch, boolean notify) {
        SeccompFilter filter = SeccompFilters.forSandbox(profile, caps, arch, KERNEL, notify).orElseThrow();
        BpfProgram program = filter.program();
        BpfVerifier.verify(program);
        Set<String> capNames = new HashSet<>();
        caps.forEach(c -> capNames.add(c.capName()));
        String nativeName = arch == SyscallArch.X86_64 ? "x86_64" : "aarch64";
        ReferenceProfileEvaluator reference = new ReferenceProfileEvaluator(json, capNames, nativeName, KERNEL_PARTS, hardening, notify);

        List<String> mismatches = new ArrayList<>();
        Map<Integer, Integer> outcomes = new TreeMap<>();
        int probes = 0;
        for (Abi abi : abisFor(arch)) {
            TreeMap<Long, String> table = ReferenceTables.load(abi.table);
            for (long nr : numbersToTry(abi, table)) {
                String name = table.get(nr);
                List<long[]> argVectors = name == null ? List.of(new long[6])
                        : ProbeArguments.forSyscall(json, name, name.equals("ioctl") ? Set.of(0x5412L, 0x541CL, 0x5401L) : Set.of());
                for (long[] args : argVectors) {
                    int expected = reference.decide(abi.audit, nr, args);
                    int actual = BpfInterpreter.run(program, SeccompData.of(abi.audit, nr, args)).returnValue();
                    probes++;
                    outcomes.merge(expected, 1, Integer::sum);
                    if (expected != actual && mismatches.size() < 25) {
                        mismatches.add(String.format("%s nr=%d (%s) args=%s: expected %s, program says %s", abi.table, nr, name,
                                Arrays.toString(args), SeccompAction.fromReturnValue(expected),
                                SeccompAction.fromReturnValue(actual)));
                    }
                }
            }
        }
        for (int foreign : new int[] {0x40000028 /* ARM */, 0xC00000B7, 0xC000003E, 0x40000003, 0x80000008 /* MIPS */, 0, -1}) {
            if (foreign == arch.auditArch() || (arch == SyscallArch.X86_64 && foreign == 0x40000003)) {
                continue;
            }
            for (long nr : new long[] {0, 1, 59, 221, 435}) {
                probes++;
                int expected = reference.decide(foreign, nr, new long[6]);
                outcomes.merge(expected, 1, Integer::sum);
                int actual = BpfInterpreter.run(program, SeccompData.of(foreign, nr)).returnValue();
                if (expected != actual) {
                    mismatches.add("arch 0x" + Integer.toHexString(foreign) + " nr " + nr + ": expected 0x"
                            + Integer.toHexString(expected) + ", got 0x" + Integer.toHexString(actual));
                }
            }
        }
        System.out.printf("%s caps=%d notify=%s: %d probes, %d instructions, outcomes %s%n", arch, caps.size(), notify,
                probes, program.instructionCount(), outcomes);
        assertThat(mismatches).as("decisions that differ from the profile").isEmpty();
        // The exhaustive sweep must actually see allowed calls, refusals and kills, or it proves nothing.
        assertThat(probes).isGreaterThan(1000);
        assertThat(outcomes).containsKey(ReferenceProfileEvaluator.RET_ALLOW).containsKey(ReferenceProfileEvaluator.RET_KILL_PROCESS);
        assertThat(outcomes.keySet()).anyMatch(v -> (v & 0xffff0000) == 0x00050000 || v == ReferenceProfileEvaluator.RET_USER_NOTIF);
    }

    private record Abi(String table, int audit) {
    }

    private static List<Abi> abisFor(SyscallArch arch) {
        if (arch == SyscallArch.AARCH64) {
            return List.of(new Abi("aarch64", ReferenceProfileEvaluator.AUDIT_AARCH64));
        }
        // The x32 table is reached through AUDIT_ARCH_X86_64 with bit 30 set.
        return List.of(new Abi("x86_64", ReferenceProfileEvaluator.AUDIT_X86_64),
                new Abi("i386", ReferenceProfileEvaluator.AUDIT_I386),
                new Abi("x32", ReferenceProfileEvaluator.AUDIT_X86_64));
    }

    /** Every listed number, every gap up to past the end, and a few far-away numbers. */
    private static Set<Long> numbersToTry(Abi abi, TreeMap<Long, String> table) {
        Set<Long> numbers = new TreeSet<>();
        long base = abi.table.equals("x32") ? ReferenceTables.X32_BIT : 0;
        for (long nr = base; nr <= table.lastKey() + 16; nr++) {
            numbers.add(nr);
        }
        for (long nr : new long[] {0x3fffffffL, 0x40000000L, 0x40000001L, 0x7fffffffL, 0x80000000L, 0xfffffffeL, 0xffffffffL}) {
            numbers.add(nr);
        }
        return numbers;
    }

    private static Set<Capability> with(Set<Capability> caps, Capability extra) {
        Set<Capability> all = EnumSet.copyOf(caps);
        all.add(extra);
        return all;
    }
}
