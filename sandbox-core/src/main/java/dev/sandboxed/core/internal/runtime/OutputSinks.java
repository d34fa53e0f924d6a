package dev.sandboxed.core.internal.runtime;

import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * Where a run to completion puts the stdout and stderr it collects: the caller's stream ({@link Stdio.Stream}), or
 * memory bounded by the process's {@code maxOutputBytes}, keeping head and tail. Whatever collects the pipes writes
 * here, and the result is made from what was kept, with the count of what was dropped.
 */
final class OutputSinks {
    private final OutputStream stdout;
    private final OutputStream stderr;

    private OutputSinks(OutputStream stdout, OutputStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static OutputSinks of(ProcessSpec process) {
        return new OutputSinks(sinkFor(process.stdout(), process), sinkFor(process.stderr(), process));
    }

    private static OutputStream sinkFor(Stdio kind, ProcessSpec process) {
        return kind instanceof Stdio.Stream s ? s.out() : new BoundedOutput(process.maxOutputBytes());
    }

    OutputStream stdout() {
        return stdout;
    }

    OutputStream stderr() {
        return stderr;
    }

    /** The result from what was kept so far (streamed output is not kept). */
    ExecResult result(ProcessState process, ExitStatus status, Instant start) {
        BoundedOutput.Captured out = captured(stdout);
        BoundedOutput.Captured err = captured(stderr);
        return new ExecResult(process.command(), status, out.bytes(), process.stderrWithStartFailure(err.bytes()),
                Duration.between(start, Instant.now()), out.droppedBytes(), err.droppedBytes());
    }

    private static BoundedOutput.Captured captured(OutputStream sink) {
        return sink instanceof BoundedOutput b ? b.captured() : new BoundedOutput.Captured(new byte[0], 0);
    }
}
