package dev.sandboxed.core.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.internal.rootfs.MountPlan;
import dev.sandboxed.core.spec.Capability;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * The controls for {@link EscapeProbeTest}: every probe must be able to fail. Each protection that the spec
 * can switch off is switched off here and the probe must then report the escape (exit 1). Protections the
 * spec cannot switch off (masked and read-only paths, close_range, setsid, no_new_privs, the sealed init) are
 * shown failing another way: on the host outside any sandbox, or on a path inside the sandbox that is not
 * protected.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EscapeProbeControlTest {
    private final Map<String, Sandbox> sandboxes = new LinkedHashMap<>();

    @BeforeAll
    void check() {
        Probe.assumeSandboxesCanRun();
    }

    @AfterAll
    void closeAll() {
        sandboxes.values().forEach(Sandbox::close);
    }

    private Sandbox sandbox(String name, Supplier<SandboxSpec> spec) {
        return sandboxes.computeIfAbsent(name, n -> Sandbox.start(spec.get()));
    }

    /** seccomp off, Docker's capabilities. */
    private Sandbox unconfined() {
        return sandbox("unconfined", () -> Probe.spec().seccomp("unconfined").build());
    }

    /** seccomp off and every capability (still inside the user namespace). */
    private Sandbox unconfinedAllCaps() {
        return sandbox("unconfined+all caps",
                () -> Probe.spec().seccomp("unconfined").capabilities(EnumSet.allOf(Capability.class)).build());
    }

    /** The default profile with CAP_SYS_ADMIN added: Docker's profile then opens mount, unshare, setns, clone flags... */
    private Sandbox sysAdmin() {
        return sandbox("default seccomp+SYS_ADMIN", () -> Probe.spec().addCapability(Capability.SYS_ADMIN).build());
    }

    /** Real root only: no user namespace (so capabilities count on the host), no seccomp, every capability. */
    private Sandbox rootWithoutUserNamespace() {
        Assumptions.assumeTrue(Probe.isRoot(), "only root can run a sandbox without a user namespace");
        return sandbox("root, no user namespace, unconfined, all caps", () -> Probe.spec().withoutNamespace(Namespace.USER)
                .seccomp("unconfined").capabilities(hostCapabilities()).build());
    }

    /**
     * Every capability this JVM's bounding set still holds: without a user namespace, capset cannot grant more
     * (hosts and containers often drop some, e.g. CAP_SYS_RESOURCE).
     */
    private static EnumSet<Capability> hostCapabilities() {
        long bounding = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) {
                    bounding = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        for (Capability c : Capability.values()) {
            if ((bounding & (1L << c.number())) != 0) {
                caps.add(c);
            }
        }
        return caps;
    }

    private Sandbox defaults() {
        return sandbox("defaults", () -> Probe.spec().build());
    }

    // ---- seccomp -------------------------------------------------------------------------------------------

    static Stream<String> refusedSyscalls() {
        return EscapeProbeTest.refusedSyscalls().map(a -> (String) a.get()[0])
                .filter(name -> !name.startsWith("x32_"));
    }

    /**
     * With seccomp off each refused syscall reaches the kernel. Some are refused by the kernel itself inside a
     * user namespace (module loading, kexec, swapon, acct, settimeofday: they need the capability in the host's
     * namespace; mount and friends need CAP_SYS_ADMIN): those are tried with every capability, then, as root,
     * without a user namespace. Every call uses bad pointers or invalid arguments, so it fails harmlessly.
     */
    @ParameterizedTest(name = "{0} reaches the kernel without seccomp")
    @MethodSource("refusedSyscalls")
    void refusedSyscallReachesTheKernelWithoutSeccomp(String probe) {
        List<Supplier<Sandbox>> configs = List.of(this::unconfined, this::unconfinedAllCaps, this::rootWithoutUserNamespace);
        List<String> tried = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            if (i == 2 && !Probe.isRoot()) {
                Assumptions.abort("the kernel itself refuses " + probe + " in a user namespace even without seccomp and "
                        + "with every capability; only root (no user namespace) can show the probe failing. Tried: " + tried);
            }
            Probe.Result r = Probe.run(configs.get(i).get(), probe);
            tried.add(r.verdictLine());
            if (r.exitCode() == Probe.ESCAPED) {
                r.assertEscaped();
                return;
            }
            assertThat(r.exitCode()).as("%s", r).isIn(Probe.SECURE, Probe.UNSUPPORTED);
        }
        throw new AssertionError("probe " + probe + " never reported the escape with seccomp off: " + tried);
    }

    @Test
    void unconfinedSandboxIsDetectedByAllPlainSyscallProbes() {
        // The probes where nothing but seccomp stands between the workload and the kernel, in any user namespace.
        for (String probe : List.of("keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
                "io_uring_setup", "open_by_handle_at", "open_tree", "mount", "umount2", "unshare_user", "nested_userns",
                "setns", "personality", "socket_alg", "socket_alg_highbits", "socket_vsock", "clone_newuser", "tiocsti",
                "tiocsti_highbits", "tioclinux", "clone3", "seccomp_mode")) {
            Probe.run(unconfined(), probe).assertEscaped();
        }
    }

    @ParameterizedTest(name = "{0} with the default profile plus CAP_SYS_ADMIN")
    @ValueSource(strings = {"fsopen", "fsmount", "move_mount", "mount", "umount2", "unshare_ns", "clone_newns",
            "clone_newpid", "setns"})
    void sysAdminOpensTheMountFamilyAsInDocker(String probe) {
        Probe.run(sysAdmin(), probe).assertEscaped();
    }

    @ParameterizedTest(name = "{0} without seccomp")
    @ValueSource(strings = {"x32_keyctl", "x32_unshare_user", "x32_mount"})
    void x32ProbesReachTheKernelWithoutSeccomp(String probe) {
        Probe.Result x32 = Probe.runOnHost("x32_available");
        Assumptions.assumeTrue(x32.exitCode() == Probe.SECURE,
                () -> "the kernel has no x32 ABI, so an x32 call cannot succeed even unfiltered: " + x32.verdictLine());
        Probe.run(unconfined(), probe).assertEscaped();
    }

    @ParameterizedTest(name = "{0} through int 0x80 without seccomp")
    @ValueSource(strings = {"i386_keyctl", "i386_unshare_user", "i386_getpid_refused"})
    void i386ProbesReachTheKernelWithoutSeccomp(String probe) {
        Probe.run(unconfined(), probe).assertEscaped();
    }

    @Test
    void unshareToolCreatesNestedUserNamespaceWithoutSeccomp() {
        Probe.Result r = Probe.shell(unconfined(), "command -v unshare >/dev/null || exit 3; unshare -U true; echo rc=$?");
        r.skipIfUnsupported();
        assertThat(r.stdout()).as("%s", r).contains("rc=0");
    }

    // ---- capabilities, no_new_privs, setsid -----------------------------------------------------------------

    @Test
    void capsProbeDetectsAnExtraCapability() {
        Probe.run(sysAdmin(), "caps", EscapeProbeTest.DOCKER_CAPS).assertEscaped();
    }

    @Test
    void capsProbeDetectsFullCapabilitiesOnTheHostOrADifferentSet() {
        Probe.run(unconfinedAllCaps(), "caps", EscapeProbeTest.DOCKER_CAPS).assertEscaped();
    }

    @Test
    void noNewPrivsProbeFailsOnTheHost() {
        // no_new_privs is always set by the runtime; the spec has no switch.
        Probe.runOnHost("no_new_privs").assertEscaped();
    }

    @Test
    void noControllingTerminalProbeFailsOnTheHost() {
        // setsid is always done by the runtime; outside it the probe shares the JVM's session.
        Probe.runOnHost("no_ctty").assertEscaped();
    }

    // ---- filesystem -----------------------------------------------------------------------------------------

    @Test
    void maskedProbeDetectsAReadableKernelFile() {
        // Masking has no switch: an unmasked /proc file in the same sandbox must be reported.
        Probe.run(defaults(), "masked", "/proc/self/status").assertEscaped();
        Probe.run(defaults(), "masked", "/proc/cpuinfo").assertEscaped();
    }

    static Stream<String> maskedPaths() {
        return MountPlan.MASKED_PATHS.stream();
    }

    @ParameterizedTest(name = "{0} is readable on the host")
    @MethodSource("maskedPaths")
    void maskedPathsAreReadableOnTheHost(String path) {
        Assumptions.assumeTrue(Files.exists(Path.of(path)), () -> path + " does not exist on this host");
        Probe.Result r = Probe.runOnHost("masked", path);
        Assumptions.assumeTrue(r.exitCode() != Probe.SECURE,
                () -> path + " is empty or unreadable for this user on the host too: " + r.verdictLine());
        r.assertEscaped();
    }

    @Test
    void readOnlyProbesDetectAWritableMount() {
        Probe.run(defaults(), "readonly_dir", "/tmp").assertEscaped();
        Probe.run(defaults(), "readonly", "/dev/null").assertEscaped();
    }

    @ParameterizedTest(name = "{0} is on a writable mount on the host")
    @ValueSource(strings = {"/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger"})
    void kernelTunablesAreOnAWritableMountOnTheHost(String path) {
        // The read-only binds have no switch. The probe checks the mount flag (statvfs) first and opens nothing
        // when the mount is writable; it never writes.
        Probe.runOnHost("readonly", path).assertEscaped();
    }

    @ParameterizedTest(name = "remount,rw {0} succeeds with CAP_SYS_ADMIN")
    @ValueSource(strings = {"/", "/proc/sys"})
    void remountSucceedsWithSysAdmin(String path) {
        Probe.run(sysAdmin(), "remount_rw", path).assertEscaped();
    }

    @Test
    void fdProbeDetectsALeakedDescriptor() {
        // close_range has no switch: a descriptor opened by the shell before exec must be reported.
        Probe.shell(defaults(), "exec 7</dev/null; exec /probe fds").assertEscaped();
        Probe.runHostCommand(List.of("/bin/sh", "-c", "exec 7</dev/null; exec \"$0\" fds", Probe.binary().toString()))
                .assertEscaped();
    }

    @Test
    void cwdProbeDetectsAWorkingDirectoryOutsideTheRoot() {
        // The runtime refuses such a cwd at start; the classic chroot escape produces one inside the sandbox.
        Probe.run(defaults(), "cwd_after_chroot").assertEscaped();
    }

    @Test
    void proc1RootProbeDetectsTheHostRoot() {
        // Without a user and pid namespace, host processes show in /proc: the JVM's root is the host's /.
        Sandbox s = sandbox("root, no user/pid namespace", () -> {
            Assumptions.assumeTrue(Probe.isRoot(), "only root can run a sandbox without a user namespace");
            return Probe.spec().withoutNamespace(Namespace.USER).withoutNamespace(Namespace.PID).seccomp("unconfined")
                    .capabilities(hostCapabilities()).build();
        });
        String jvm = Long.toString(ProcessHandle.current().pid());
        Probe.run(s, "proc1_root", jvm).assertEscaped();
        Probe.run(s, "proc1_exe", "read", jvm).assertEscaped();
    }

    @Test
    void ptraceProbeDetectsASuccessfulAttach() {
        // Non-dumpability of the init has no switch; a dumpable child in the same sandbox is traceable.
        Probe.run(defaults(), "ptrace_init", "child").assertEscaped();
    }

    @Test
    void sealProbeDetectsAnUnsealedBinary() {
        Probe.runOnHost("exe_sealed", Probe.binary().toString()).assertEscaped();
    }

    @Test
    void hiddenProbeDetectsVisibleHomes() {
        Sandbox s = sandbox("hideHome(false)", () -> Probe.spec().hideHome(false).build());
        Probe.run(s, "hidden", "/home").skipIfUnsupported();
        Assumptions.assumeTrue(hasEntries(Path.of("/home")), "the host's /home is empty: nothing to see");
        Probe.run(s, "hidden", "/home").assertEscaped();
    }

    @Test
    void hiddenProbeDetectsTheHostsRun() {
        // /run is always replaced; on the host it is where D-Bus, docker.sock and the runtime dirs live.
        Assumptions.assumeTrue(hasEntries(Path.of("/run")), "the host's /run is empty");
        Probe.runOnHost("hidden", "/run").assertEscaped();
        Probe.run(defaults(), "hidden", "/probe").assertEscaped();
    }

    private static boolean hasEntries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
