package dev.sandboxed.junit;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.spec.ProcessSpec;

/** The Container handle against real sandboxes. */
@Sandboxed(hostname = "handle-test", timeout = "20s")
class ContainerTest {

    @Test
    void execReportsCodeOutputAndDuration(Container c) {
        ExecResult r = c.execShell("echo out; echo err >&2; exit 3");
        assertThat(r).hasExitCode(3).hasExitReason(ExitReason.EXITED).hasStdout("out").stderrContains("err")
                .finishedWithin(Duration.ofSeconds(10));
        assertThat(r.duration()).isPositive();
        assertThat(c.exec("hostname")).succeeded().hasStdout("handle-test");
    }

    @Test
    void defaultTimeoutAppliesAndCanBeOverridden(Container c) {
        ExecResult r = c.exec(ProcessSpec.builder("sleep", "30").timeout(Duration.ofMillis(200)).build());
        assertThat(r).timedOut().failed();
    }

    @Test
    void writesAndReadsFilesInsideTheSandbox(Container c) {
        byte[] binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        c.writeFile("/tmp/a/b/data.bin", binary);
        assertThat(c.readFile("/tmp/a/b/data.bin")).isEqualTo(binary);
        c.writeString("/tmp/hello.txt", "héllo\n");
        assertThat(c.readString("/tmp/hello.txt")).isEqualTo("héllo\n");
        assertThat(c.exists("/tmp/hello.txt")).isTrue();
        assertThat(c.exists("/tmp/nope")).isFalse();
        assertThatThrownBy(() -> c.readFile("/tmp/nope")).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("/tmp/nope");
    }

    @Test
    void aSymlinkCannotLeadAWriteOutOfTheSandbox(Container c, @TempDir Path host) throws Exception {
        Path victim = host.resolve("victim.txt");
        Files.writeString(victim, "original");
        // The link names a host path, but it is resolved inside the sandbox, where that path does not exist.
        assertThat(c.exec("ln", "-s", victim.toString(), "/tmp/link")).succeeded();
        assertThatThrownBy(() -> c.writeString("/tmp/link", "pwned")).isInstanceOf(UncheckedIOException.class);
        assertThat(Files.readString(victim)).isEqualTo("original");
        assertThat(c.exec("ln", "-sf", "/etc/hostname", "/tmp/link2")).succeeded();
        assertThatThrownBy(() -> c.writeString("/tmp/link2", "pwned")).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("Read-only");
    }

    @Test
    void copiesHostFilesInAndOut(Container c, @TempDir Path host) throws Exception {
        Path in = host.resolve("in.txt");
        Files.writeString(in, "payload");
        c.copyFileInto(in, "/tmp/in.txt");
        assertThat(c.exec("cat", "/tmp/in.txt")).hasStdout("payload");
        c.execShell("echo generated > /tmp/out.txt");
        Path out = host.resolve("out.txt");
        c.copyFileOut("/tmp/out.txt", out);
        assertThat(Files.readString(out, StandardCharsets.UTF_8)).isEqualTo("generated\n");
    }

    @Test
    void backgroundProcessCanBeAwaitedFedAndKilled(Container c) throws Exception {
        ContainerProcess p = c.startShell("echo starting; while read line; do echo \"got $line\"; done; echo bye >&2");
        assertThat(p.awaitLine("^starting$", Duration.ofSeconds(5))).isEqualTo("starting");
        p.stdin().write("ping\n".getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        assertThat(p.awaitLine("got p.ng", Duration.ofSeconds(5))).isEqualTo("got ping");
        p.stdin().close();
        ExecResult r = p.waitFor();
        assertThat(r).succeeded().stdoutContains("got ping").stderrContains("bye");

        ContainerProcess sleeper = c.start("sleep", "60");
        assertThat(sleeper.isAlive()).isTrue();
        assertThat(sleeper.pid()).isPositive();
        assertThat(sleeper.kill()).hasExitReason(ExitReason.SIGNALED).hasExitCode(137);
    }

    @Test
    void awaitLineFailsWithTheOutputWhenTheProcessEndsFirst(Container c) {
        ContainerProcess p = c.startShell("echo only this; exit 4");
        assertThatThrownBy(() -> p.awaitLine("never", Duration.ofSeconds(5)))
                .isInstanceOf(AwaitTimeoutException.class)
                .hasMessageContaining("/never/").hasMessageContaining("only this");
        ContainerProcess quiet = c.start("sleep", "60");
        assertThatThrownBy(() -> quiet.awaitLine("x", Duration.ofMillis(100)))
                .isInstanceOf(AwaitTimeoutException.class).hasMessageContaining("still running");
    }

    @Test
    void reportsPidUsageAndState(Container c) {
        assertThat(c.pid()).isPositive();
        assertThat(Path.of("/proc/" + c.pid())).exists();
        assertThat(c.id()).isNotBlank();
        assertThat(c.isRunning()).isTrue();
        assertThat(c.name()).isEqualTo("default");
        assertThat(c.usage()).isNotNull();
    }
}
