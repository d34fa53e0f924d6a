package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.seccomp.SyscallArch;
import dev.sandboxed.core.internal.seccomp.SyscallTable;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Exit codes, signals, reaping, concurrency and timeouts of processes in one long-lived sandbox. */
@RequiresSandbox
class ProcessesTest {
    private static Sandbox sandbox;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.start(SandboxSpec.defaults());
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    @Test
    void exitCodesAndSignalsAreReportedLikeAShell() {
        assertThat(sandbox.exec("sh", "-c", "exit 3").exitCode()).isEqualTo(3);
        ExecResult killed = sandbox.exec("sh", "-c", "kill -KILL $$");
        assertThat(killed.exitCode()).isEqualTo(137);
        assertThat(killed.exitReason()).isEqualTo(ExitReason.SIGNALED);
        assertThat(killed.status().signal()).hasValue(9);
        ExecResult term = sandbox.exec("sh", "-c", "kill -TERM $$");
        assertThat(term.exitCode()).isEqualTo(143);
    }

    @Test
    void missingAndNonExecutableCommandsGiveAShellsExitCodeWithTheStepAndErrno() {
        ExecResult missing = sandbox.exec("no-such-command");
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.exitReason()).isEqualTo(ExitReason.NOT_FOUND);
        assertThat(missing.stderr()).isEqualTo("sandboxed: execute no-such-command: No such file or directory (ENOENT)\n");
        ExecResult notExecutable = sandbox.exec("/etc/passwd");
        assertThat(notExecutable.exitCode()).isEqualTo(126);
        assertThat(notExecutable.exitReason()).isEqualTo(ExitReason.NOT_EXECUTABLE);
        assertThat(notExecutable.stderr()).contains("EACCES");
        ExecResult noWorkdir = sandbox.exec(ProcessSpec.builder("true").workdir("/does/not/exist").build());
        assertThat(noWorkdir.exitCode()).as("127 is only for a command not found, as in the CLI").isEqualTo(126);
        assertThat(noWorkdir.stderr()).contains("chdir /does/not/exist: No such file or directory (ENOENT)");
    }

    @Test
    void spawnOfAMissingCommandThrowsTheStepAndErrno() {
        assertThatThrownBy(() -> sandbox.spawn(ProcessSpec.of("no-such-command")))
                .isInstanceOf(SandboxException.class)
                .hasMessage("execute no-such-command: No such file or directory (ENOENT)")
                .satisfies(e -> assertThat(((SandboxException) e).errnoName()).isEqualTo("ENOENT"));
    }

    @Test
    void outputAndStdinArePipes() throws Exception {
        SandboxProcess cat = sandbox.spawn(ProcessSpec.builder("sh", "-c", "read line; echo got:$line; echo err >&2")
                .stdin(Stdio.pipe()).build());
        cat.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
        cat.stdin().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(cat.stdout(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("got:hello");
        assertThat(new String(cat.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("err\n");
        assertThat(cat.waitFor().exitCode()).isZero();
    }

    @Test
    void orphansAreReapedByInit() {
        // The shell exits at once; its background children are re-parented to PID 1 and must not stay zombies.
        sandbox.exec("sh", "-c", "sleep 0.2 & sleep 0.2 & exit 0");
        boolean reaped = Probes.eventually(10, () -> {
            ExecResult r = sandbox.exec("sh", "-c", "cat /proc/[0-9]*/status 2>/dev/null | grep -c -e '^State:.*Z' -e '^Name:.*sleep'");
            return r.stdout().trim().equals("0");
        });
        assertThat(reaped).as("no zombie and no leftover sleep in the sandbox").isTrue();
    }

    @Test
    void signalsReachTheProcess() throws Exception {
        SandboxProcess p = sandbox.spawn(ProcessSpec.builder("sh", "-c",
                "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done").build());
        BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("ready");
        p.signal(15);
        assertThat(out.readLine()).isEqualTo("got TERM");
        assertThat(p.waitFor().exitCode()).isEqualTo(7);
    }

    @Test
    void concurrentExecsFromManyThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String word = "w" + i;
                results.add(pool.submit(() -> sandbox.exec("sh", "-c", "echo " + word + "; echo e" + word + " >&2")));
            }
            for (int i = 0; i < results.size(); i++) {
                ExecResult r = results.get(i).get();
                assertThat(r.stdout()).isEqualTo("w" + i + "\n");
                assertThat(r.stderr()).isEqualTo("ew" + i + "\n");
                assertThat(r.exitCode()).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void timeoutKillsTheProcessAndSaysSo() {
        ExecResult r = sandbox.exec(ProcessSpec.builder("sleep", "30").timeout(Duration.ofMillis(200)).build());
        assertThat(r.exitReason()).isEqualTo(ExitReason.TIMED_OUT);
        assertThat(r.exitCode()).isEqualTo(137);
    }

    @Test
    void nestedUserNamespacesAreRefusedUnlessAllowed() {
        ExecResult refused = sandbox.exec("unshare", "-U", "true");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("Operation not permitted");
        try (Sandbox nested = Sandbox.start(SandboxSpec.builder().allowNestedUserNamespaces(true).build())) {
            ExecResult r = nested.exec("unshare", "-Ur", "sh", "-c", "id -u; cat /proc/self/uid_map");
            assertThat(r.exitCode()).as(r.tail(5)).isZero();
            assertThat(r.stdout()).startsWith("0\n");
            int keyctl = SyscallTable.of(SyscallArch.nativeArch())
                    .numberOf("keyctl").orElseThrow();
            assertThat(nested.exec("python3", "-c", "import ctypes,sys; "
                    + "sys.exit(0 if ctypes.CDLL(None).syscall(" + keyctl + ", 0, 0, 0, 0, 0) == -1 else 1)").exitCode())
                    .as("keyctl stays refused").isZero();
            assertThat(nested.seccompDenials()).containsKey("keyctl");
        }
    }

    @Test
    void singleMappingOnlyHasRootAndSaysHowToGetMore() {
        if (HostFacts.current().isRoot()) {
            return; // real root always maps a full range
        }
        try (Sandbox single = Sandbox.start(SandboxSpec.builder().idMapping(IdMappingMode.SINGLE).build())) {
            assertThat(single.exec("cat", "/proc/self/uid_map").stdout().trim().split("\\s+"))
                    .containsExactly("0", Long.toString(OwnIds.uid()), "1");
            assertThatThrownBy(() -> single.exec(ProcessSpec.builder("id").user(new UserSpec(1000, 1000)).build()))
                    .isInstanceOf(SpecException.class)
                    .hasMessageContaining("not mapped").hasMessageContaining("idMapping(RANGE)");
        }
    }

    @Test
    void processesRunAsTheRequestedUserWhenIdsAreMapped() {
        UserSpec user1000 = new UserSpec(1000, 1000);
        HostFacts facts = HostFacts.current();
        boolean rangeAvailable = facts.isRoot() || (facts.newuidmapUsable() && facts.subuidRange().isPresent());
        Assumptions.assumeTrue(rangeAvailable,
                "no subordinate id range or newuidmap for this user: only uid 0 exists inside (see doctor)");
        try (Sandbox ranged = Sandbox.start(SandboxSpec.builder().idMapping(IdMappingMode.RANGE).build())) {
            ExecResult r = ranged.exec(ProcessSpec.builder("sh", "-c", "id -u; id -g; grep CapEff /proc/self/status")
                    .user(user1000).build());
            assertThat(r.stdout()).startsWith("1000\n1000\nCapEff:\t0000000000000000");
        }
        try (Sandbox user = Sandbox.start(SandboxSpec.builder().user(user1000).build())) {
            assertThat(user.exec("id", "-u").stdout()).isEqualTo("1000\n");
        }
    }
}
