package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.testing.RequiresSandbox;

/** An exec's output is collected by the thread that called exec, with the semantics a drainer thread gave it. */
@RequiresSandbox
class ExecOnCallerTest {

    @Test
    void theCallingThreadCollectsTheOutput() {
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStream recording = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writers.add(Thread.currentThread());
                out.write(b, off, len);
            }
        };
        try (Sandbox s = Sandbox.start(SandboxSpec.defaults())) {
            ExecResult r = s.exec(ProcessSpec.builder("sh", "-c", "echo out; echo err >&2; exit 5")
                    .stdout(Stdio.to(recording)).build());
            assertThat(r.exitCode()).isEqualTo(5);
            assertThat(r.stderr()).isEqualTo("err\n");
            assertThat(out.toString()).isEqualTo("out\n");
            assertThat(writers).containsExactly(Thread.currentThread());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"IOException", "UncheckedIOException"})
    void outputThatCannotBePassedOnFailsTheExecOnceTheProcessEnded(String kind) {
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                IOException e = new IOException("disk full");
                if (kind.equals("IOException")) {
                    throw e;
                }
                throw new UncheckedIOException(e);
            }
        };
        try (Sandbox s = Sandbox.start(SandboxSpec.defaults())) {
            assertThatThrownBy(() -> s.exec(ProcessSpec.builder("sh", "-c", "echo a; echo b >&2; touch /tmp/ended")
                    .stdout(Stdio.to(failing)).build()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("collect stdout of sh -c")
                    .hasRootCauseMessage("disk full");
            assertThat(s.exec("test", "-e", "/tmp/ended").exitCode()).as("it ran to its end").isZero();
        }
    }

    @Test
    void aCommandThatCannotStartGives127AndTheSandboxStaysUsable() {
        try (Sandbox s = Sandbox.start(SandboxSpec.defaults())) {
            assertThat(s.exec("/no/such/program").exitCode()).isEqualTo(127);
            assertThat(s.exec("echo", "still").stdout()).isEqualTo("still\n");
        }
    }
}
