package dev.sandboxed.core.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.internal.rootfs.MountPlan;

/**
 * Escape attempts inside a sandbox with every default (host view, all namespaces, Docker's capabilities,
 * the default seccomp profile with denial reports): each must fail. {@link EscapeProbeControlTest} shows
 * that each probe does report the escape once the protection is switched off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EscapeProbeTest {
    /** Docker's 14 default capabilities as a mask (CapBnd). */
    static final String DOCKER_CAPS = "0x00000000a80425fb";

    private Sandbox sandbox;

    @BeforeAll
    void start() {
        Probe.assumeSandboxesCanRun();
        sandbox = Sandbox.start(Probe.spec().build());
    }

    @AfterAll
    void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /**
     * Syscalls the default profile refuses, each called so that a wrongly allowed call fails harmlessly in
     * the kernel: probe name, and the syscall the denial report must name (null: refused by an explicit
     * EPERM rule, which is not reported).
     */
    static Stream<Arguments> refusedSyscalls() {
        return Stream.of(
                Arguments.of("keyctl", "keyctl"),
                Arguments.of("add_key", "add_key"),
                Arguments.of("request_key", "request_key"),
                Arguments.of("bpf", "bpf"),
                Arguments.of("perf_event_open", "perf_event_open"),
                Arguments.of("userfaultfd", "userfaultfd"),
                Arguments.of("io_uring_setup", "io_uring_setup"),
                Arguments.of("kexec_load", "kexec_load"),
                Arguments.of("kexec_file_load", "kexec_file_load"),
                Arguments.of("init_module", "init_module"),
                Arguments.of("finit_module", "finit_module"),
                Arguments.of("delete_module", "delete_module"),
                Arguments.of("open_by_handle_at", "open_by_handle_at"),
                Arguments.of("fsopen", "fsopen"),
                Arguments.of("fsmount", "fsmount"),
                Arguments.of("move_mount", "move_mount"),
                Arguments.of("open_tree", "open_tree"),
                Arguments.of("mount", "mount"),
                Arguments.of("umount2", "umount2"),
                Arguments.of("pivot_root", "pivot_root"),
                Arguments.of("unshare_user", "unshare"),
                Arguments.of("unshare_ns", "unshare"),
                Arguments.of("nested_userns", "unshare"),
                Arguments.of("setns", "setns"),
                Arguments.of("personality", "personality"),
                Arguments.of("socket_alg", "socket"),
                Arguments.of("socket_alg_highbits", "socket"),
                Arguments.of("socket_vsock", "socket"),
                Arguments.of("syslog", "syslog"),
                Arguments.of("acct", "acct"),
                Arguments.of("swapon", "swapon"),
                Arguments.of("reboot", "reboot"),
                Arguments.of("settimeofday", "settimeofday"),
                Arguments.of("clone_newuser", "clone"),
                Arguments.of("clone_newns", "clone"),
                Arguments.of("clone_newpid", "clone"),
                Arguments.of("tiocsti", null),
                Arguments.of("tiocsti_highbits", null),
                Arguments.of("tioclinux", null),
                // x32 numbers (nr | 0x40000000) through the native syscall instruction: a compat ABI, so the
                // filter kills the caller (SIGSYS) without a report.
                Arguments.of("x32_keyctl", null),
                Arguments.of("x32_unshare_user", null),
                Arguments.of("x32_mount", null));
    }

    @ParameterizedTest(name = "{0} is refused")
    @MethodSource("refusedSyscalls")
    void refusedSyscall(String probe, String deniedSyscall) {
        long before = denials(deniedSyscall);
        Probe.run(sandbox, probe).assertSecure();
        if (deniedSyscall != null) {
            // The EPERM came from the filter (reported through the seccomp listener), not from the kernel.
            assertThat(denials(deniedSyscall)).as("seccomp denials of %s after probe %s: %s", deniedSyscall, probe,
                    sandbox.seccompDenials()).isGreaterThan(before);
        }
    }

    private long denials(String syscall) {
        if (syscall == null) {
            return 0;
        }
        Map<String, Long> all = sandbox.seccompDenials();
        return all.getOrDefault(syscall, 0L);
    }

    @Test
    void clone3AnswersEnosysSoLibcFallsBackToClone() {
        Probe.run(sandbox, "clone3").assertSecure();
    }

    @Test
    void plainCloneIsAllowed() {
        Probe.run(sandbox, "clone_plain").assertSecure();
    }

    @Test
    void i386GetpidThroughInt80IsRefusedByDefault() {
        assumeX86_64();
        Probe.run(sandbox, "i386_getpid_refused").assertSecure();
    }

    @Test
    void i386GetpidThroughInt80IsAllowedWithCompatArchitectures() {
        assumeX86_64();
        try (Sandbox compat = Sandbox.start(Probe.spec().allowCompatArchitectures(true).build())) {
            Probe.run(compat, "i386_getpid").assertSecure();
            Probe.run(compat, "i386_keyctl").assertSecure(); // still judged by the profile's rules
        }
    }

    /** int $0x80 exists only on x86; arm32 compat calls on aarch64 would need a 32-bit probe binary. */
    private static void assumeX86_64() {
        Assumptions.assumeTrue(List.of("amd64", "x86_64").contains(System.getProperty("os.arch")),
                "i386 probes use int $0x80, which exists only on x86_64");
    }

    @ParameterizedTest(name = "{0} through int 0x80 is refused")
    @ValueSource(strings = {"i386_keyctl", "i386_unshare_user"})
    void i386SyscallsThroughInt80AreRefused(String probe) {
        Probe.run(sandbox, probe).assertSecure();
    }

    @Test
    void capabilitiesAreDockersAndInheritableAmbientEmpty() {
        Probe.run(sandbox, "caps", DOCKER_CAPS).assertSecure();
    }

    /** The init narrows its own bounding set to its processes' once, rather than each process dropping the rest. */
    @Test
    void theInitHoldsNoWiderBoundingSetThanItsProcesses() {
        sandbox.exec("true");
        String status = sandbox.exec("cat", "/proc/1/status").stdout();
        assertThat(status).contains("CapBnd:\t" + DOCKER_CAPS.substring(2) + "\n");
        Probe.run(sandbox, "caps", DOCKER_CAPS).assertSecure();
    }

    @Test
    void noNewPrivsIsSet() {
        Probe.run(sandbox, "no_new_privs").assertSecure();
    }

    @Test
    void seccompFilterIsLoaded() {
        Probe.run(sandbox, "seccomp_mode").assertSecure();
    }

    static Stream<String> maskedPaths() {
        List<String> paths = new ArrayList<>(MountPlan.MASKED_PATHS);
        paths.add("/dev/core"); // a symlink to /proc/kcore
        return paths.stream();
    }

    @ParameterizedTest(name = "{0} is masked")
    @MethodSource("maskedPaths")
    void maskedPathIsEmptyOrUnreadable(String path) {
        Probe.run(sandbox, "masked", path).assertSecure();
    }

    @ParameterizedTest(name = "{0} cannot be opened for writing")
    @ValueSource(strings = {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches",
            "/proc/sysrq-trigger"})
    void kernelTunablesAreReadOnly(String path) {
        Probe.run(sandbox, "readonly", path).assertSecure();
    }

    @ParameterizedTest(name = "nothing can be created in {0}")
    @ValueSource(strings = {"/usr", "/etc", "/sys"})
    void readOnlyMountsRefuseWrites(String dir) {
        Probe.run(sandbox, "readonly_dir", dir).assertSecure();
    }

    @ParameterizedTest(name = "mount -o remount,rw {0} fails")
    @ValueSource(strings = {"/", "/proc/sys", "/usr", "/proc/sysrq-trigger"})
    void remountReadWriteFails(String path) {
        Probe.run(sandbox, "remount_rw", path).assertSecure();
    }

    @Test
    void onlyStdioDescriptorsAreOpen() {
        Probe.run(sandbox, "fds").assertSecure();
    }

    @Test
    void workingDirectoryIsInsideTheRoot() {
        Probe.run(sandbox, "cwd").assertSecure();
    }

    @Test
    void proc1RootLeadsNowhereButOurRoot() {
        Probe.run(sandbox, "proc1_root").assertSecure();
    }

    @ParameterizedTest(name = "/proc/1/exe cannot be opened for {0}")
    @ValueSource(strings = {"read", "write"})
    void initExecutableCannotBeOpened(String mode) {
        Probe.run(sandbox, "proc1_exe", mode).assertSecure();
    }

    @Test
    void initCannotBePtraced() {
        Probe.run(sandbox, "ptrace_init").assertSecure();
    }

    @Test
    void initRunsFromASealedMemfd() {
        // From the host: the sandbox's init (and the server it was forked from) runs a sealed memfd copy.
        Probe.Result r = Probe.runOnHost("exe_sealed", "/proc/" + sandbox.pid() + "/exe");
        if (r.exitCode() == Probe.UNSUPPORTED) {
            Assumptions.abort("only root can open a non-dumpable process's /proc/PID/exe (that "
                    + "refusal is the protection itself): " + r.verdictLine());
        }
        r.assertSecure();
    }

    @Test
    void noControllingTerminalInOwnSession() {
        Probe.run(sandbox, "no_ctty").assertSecure();
    }

    static Stream<String> hiddenPaths() {
        List<String> paths = new ArrayList<>(List.of("/run", "/run/user", "/run/docker.sock", "/var/run/docker.sock",
                "/run/dbus/system_bus_socket", "/root", "/home"));
        String home = System.getProperty("user.home");
        if (home != null && !home.isBlank() && !home.equals("/")) {
            paths.add(Path.of(home).toString());
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank()) {
            paths.add(xdg);
        }
        return paths.stream().distinct();
    }

    @ParameterizedTest(name = "{0} is hidden")
    @MethodSource("hiddenPaths")
    void hostSecretsAreHidden(String path) {
        Probe.run(sandbox, "hidden", path).assertSecure();
    }

    @Test
    void nestedUserNamespaceWithUnshareToolFails() {
        Probe.Result r = Probe.shell(sandbox, "command -v unshare >/dev/null || exit 3; unshare -U true; echo rc=$?");
        r.skipIfUnsupported();
        assertThat(r.stdout()).as("unshare -U must fail:\n%s", r).contains("rc=").doesNotContain("rc=0");
        assertThat(r.stderr()).as("%s", r).containsIgnoringCase("operation not permitted");
    }
}
