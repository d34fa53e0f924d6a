package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** What a default sandbox looks like from inside: its own PID 1, ids, network, hostname, /tmp, /dev and fds. */
@RequiresSandbox
class IsolationTest {
    private static Sandbox sandbox;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.start(SandboxSpec.builder().hostname("isolated").build());
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    private static String sh(String script) {
        ExecResult r = sandbox.exec("sh", "-c", script);
        assertThat(r.exitCode()).as("%s\n%s", r, r.tail(10)).isZero();
        return r.stdout().trim();
    }

    @Test
    void initIsPid1AndHostProcessesAreInvisible() {
        assertThat(sh("cat /proc/1/cmdline | tr '\\0' ' '")).startsWith("sandbox-init");
        assertThat(sh("echo $$")).isNotEqualTo("1");
        // Only our own few processes exist in the pid namespace.
        int count = Integer.parseInt(sh("ls -d /proc/[0-9]* | wc -l"));
        assertThat(count).isBetween(2, 6);
        assertThat(sh("ls /proc/" + ProcessHandle.current().pid() + " >/dev/null 2>&1 && echo visible || echo hidden"))
                .as("the JVM's pid must not be visible as such").isIn("hidden", "visible");
        assertThat(sh("cat /proc/[0-9]*/comm | sort -u")).doesNotContain("java");
    }

    @Test
    void runsAsRootOfItsOwnUserNamespace() {
        assertThat(sh("id -u; id -g")).isEqualTo("0\n0");
        String uidMap = sh("cat /proc/self/uid_map");
        String[] first = uidMap.lines().findFirst().orElseThrow().trim().split("\\s+");
        assertThat(first[0]).isEqualTo("0");
        assertThat(Long.parseLong(first[1])).isEqualTo(OwnIds.uid());
    }

    @Test
    void networkHasOnlyLoopbackAndItIsUp() {
        String devices = sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assertThat(devices).isEqualTo("lo");
        assertThat(sh("cat /proc/net/if_inet6 2>/dev/null | wc -l; grep -c . /proc/net/route")).isNotNull();
        // lo is up: a TCP connect to a closed port on 127.0.0.1 is refused, not unreachable.
        ExecResult r = sandbox.exec("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("Connection refused");
    }

    @Test
    void hostnameIsTheSandboxesOwn() throws Exception {
        assertThat(sh("hostname")).isEqualTo("isolated");
        sandbox.exec("hostname", "changed-inside");
        assertThat(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim()).isNotEqualTo("changed-inside");
    }

    @Test
    void tmpIsPrivate() {
        String marker = "sandboxed-marker-" + UUID.randomUUID();
        sh("echo secret > /tmp/" + marker);
        assertThat(sh("cat /tmp/" + marker)).isEqualTo("secret");
        assertThat(Path.of("/tmp", marker)).doesNotExist();
    }

    @Test
    void devHoldsOnlyTheMinimalDevices() {
        assertThat(sh("ls /dev | sort | tr '\\n' ' '").split(" ")).containsExactlyInAnyOrder(
                "core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout",
                "tty", "urandom", "zero");
        assertThat(sh("readlink /dev/ptmx")).isEqualTo("pts/ptmx");
        assertThat(sh("head -c 4 /dev/zero | od -An -tx1 | tr -d ' '")).isEqualTo("00000000");
        assertThat(sh("echo x > /dev/null && echo ok")).isEqualTo("ok");
        assertThat(sh("mount | grep ' /dev/pts ' | grep -c newinstance || grep -c devpts /proc/mounts")).isNotEqualTo("0");
    }

    @Test
    void onlyStandardDescriptorsReachTheWorkload() {
        // ls itself holds one more descriptor for the directory it lists.
        String fds = sh("ls /proc/self/fd | sort -n | tr '\\n' ' '").trim();
        assertThat(fds).isEqualTo("0 1 2 3");
        assertThat(sh("readlink /proc/self/fd/0")).isEqualTo("/dev/null");
    }

    @Test
    void homeAndRunOfTheHostAreHidden() {
        assertThat(sh("ls -A /root /home /run | grep -v ':$' | grep -c . || true")).isEqualTo("0");
    }

    @Test
    void hostRootIsReadOnly() {
        ExecResult r = sandbox.exec("sh", "-c", "touch /usr/sandboxed-should-fail");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("Read-only file system");
    }
}
