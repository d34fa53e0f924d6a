package dev.sandboxed.core;

import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * Run by {@link LargeOutputTest} in a JVM with a small heap: 200 MB of output through exec, through a one-shot run,
 * and streamed to an OutputStream. Prints one line per case.
 */
public final class LargeOutputMain {
    static final long BYTES = 200_000_000L;
    private static final String[] PRODUCE = {"head", "-c", Long.toString(BYTES), "/dev/zero"};

    private LargeOutputMain() {
    }

    public static void main(String[] args) {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            print("exec", sandbox.exec(PRODUCE));
        }
        print("run", Sandbox.run(SandboxSpec.defaults(), ProcessSpec.of(PRODUCE)));
        AtomicLong streamed = new AtomicLong();
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) {
                streamed.incrementAndGet();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                streamed.addAndGet(len);
            }
        };
        ExecResult r = Sandbox.run(SandboxSpec.defaults(), ProcessSpec.builder(PRODUCE).stdout(Stdio.to(counter)).build());
        System.out.println("stream " + r.exitCode() + " " + streamed.get() + " " + r.stdoutBytes().length);
        SandboxRuntime.shared().close();
    }

    private static void print(String kind, ExecResult r) {
        System.out.println(kind + " " + r.exitCode() + " " + r.stdoutBytes().length + " " + r.stdoutTruncatedBytes());
    }
}
