package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Output larger than memory is kept bounded (head and tail, the middle counted) or streamed; never lost silently. */
@RequiresSandbox
class LargeOutputTest {
    private static final long LIMIT = ProcessSpec.DEFAULT_MAX_OUTPUT_BYTES;

    @Test
    void twoHundredMegabytesThroughAJvmWithA64MegabyteHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path")));
        RuntimeConfig.fromSystemProperties().cgroupParent()
                .ifPresent(parent -> command.add("-D" + RuntimeConfig.CGROUP_PARENT_PROPERTY + "=" + parent));
        command.add(LargeOutputMain.class.getName());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            // Bounded: the read ends when the child exits, or when the finally block kills it.
            String out = CompletableFuture.supplyAsync(() -> readAll(child.getInputStream())).get(25, TimeUnit.SECONDS);
            assertThat(child.waitFor(5, TimeUnit.SECONDS)).as(out).isTrue();
            long dropped = LargeOutputMain.BYTES - LIMIT;
            assertThat(out).as("child output").contains("exec 0 " + LIMIT + " " + dropped)
                    .contains("run 0 " + LIMIT + " " + dropped)
                    .contains("stream 0 " + LargeOutputMain.BYTES + " 0");
            assertThat(child.exitValue()).as(out).isZero();
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
    }

    @Test
    void truncationShowsInTheResultsTextAndTail() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            ExecResult r = sandbox.exec(ProcessSpec.builder("sh", "-c", "seq 1 1000").maxOutputBytes(20).build());
            assertThat(r.stdout()).startsWith("1\n2\n3\n4\n5\n").endsWith("\n999\n1000\n");
            assertThat(r.stdoutTruncatedBytes()).isEqualTo(3893 - 20);
            assertThat(r.truncated()).isTrue();
            assertThat(r.toString()).contains("stdout truncated, 3873 bytes dropped");
            assertThat(r.tail(2)).contains("stdout (3873 bytes dropped in the middle):");
        }
    }

    @Test
    void outputStreamsToTheCallersStreamFromExecAndSpawn() throws Exception {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ExecResult r = sandbox.exec(ProcessSpec.builder("sh", "-c", "echo out; echo err >&2")
                    .stdout(Stdio.to(out)).stderr(Stdio.to(err)).build());
            assertThat(r.succeeded()).isTrue();
            assertThat(r.stdoutBytes()).isEmpty();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("out\n");
            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("err\n");
            PipedCopy spawned = new PipedCopy();
            SandboxProcess p = sandbox.spawn(ProcessSpec.builder("echo", "spawned").stdout(Stdio.to(spawned)).build());
            assertThat(p.waitFor().exitCode()).isZero();
            assertThat(spawned.awaitClosedOrText("spawned\n")).isEqualTo("spawned\n");
        }
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Collects what a background pump writes; the test waits for the expected text, not for a time. */
    private static final class PipedCopy extends ByteArrayOutputStream {
        @Override
        public synchronized void write(byte[] b, int off, int len) {
            super.write(b, off, len);
            notifyAll();
        }

        synchronized String awaitClosedOrText(String expected) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!toString(StandardCharsets.UTF_8).equals(expected) && System.nanoTime() < deadline) {
                wait(100);
            }
            return toString(StandardCharsets.UTF_8);
        }
    }
}
