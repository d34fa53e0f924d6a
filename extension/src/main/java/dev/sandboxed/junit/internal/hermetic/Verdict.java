package dev.sandboxed.junit.internal.hermetic;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import org.opentest4j.TestAbortedException;

import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.junit.SandboxedJvmException;

/**
 * The test's result as if it had run in place: nothing for a pass, the test's own throwable for a failure or an abort,
 * and a {@link SandboxedJvmException} naming what happened when the JVM ended without a result.
 */
public final class Verdict {
    private Verdict() {
    }

    public static Optional<Throwable> of(JvmRun.Outcome outcome, TestTimeouts.Bound bound, ClassLoader loader) {
        List<JsonNode> events = outcome.events();
        for (int i = events.size() - 1; i >= 0; i--) {
            JsonNode e = events.get(i);
            String type = e.path("type").asText();
            if (type.equals("finished")) {
                String status = e.path("status").asText();
                if (status.equals("SUCCESSFUL")) {
                    return Optional.empty();
                }
                if (e.hasNonNull("throwable")) {
                    return Optional.of(ThrowableCodec.decode(e.get("throwable"), loader));
                }
                return Optional.of(status.equals("ABORTED") ? new TestAbortedException("aborted in the sandboxed JVM")
                        : new SandboxedJvmException("the test failed in the sandboxed JVM without an exception"));
            }
            if (type.equals("skipped")) {
                return Optional.of(new TestAbortedException("skipped in the sandboxed JVM: " + e.path("reason").asText()));
            }
        }
        return Optional.of(death(outcome, bound));
    }

    /** The JVM ended without a result: say how, and where System.exit was called if it was. */
    static SandboxedJvmException death(JvmRun.Outcome outcome, TestTimeouts.Bound bound) {
        ExitStatus r = outcome.status();
        ResourceUsage u = outcome.usage();
        boolean started = outcome.events().stream().anyMatch(e -> e.path("type").asText().equals("started"));
        String when = started ? "while the test ran" : "before the test started";
        // The JVM's shutdown hook writes "exit" at every end before a result; only System.exit leaves frames in it (a
        // JVM that failed to boot or died of an uncaught exception leaves none).
        Optional<JsonNode> exit = outcome.events().stream().filter(e -> e.path("type").asText().equals("exit"))
                .filter(e -> e.has("frames")).findFirst();
        String limit = outcome.spec().limits().memoryMax().isPresent()
                ? " of " + mib(outcome.spec().limits().memoryMax().getAsLong()) : "";
        String message;
        if (r.reason() == ExitReason.OOM_KILLED || (u.oomKilled() && r.reason() == ExitReason.SIGNALED)) {
            message = "the sandboxed JVM was killed by the OOM killer " + when + ": its sandbox reached the memory limit"
                    + limit + " (peak " + (u.memoryPeakBytes() < 0 ? "n/a" : mib(u.memoryPeakBytes())) + ")";
        } else if (r.reason() == ExitReason.TIMED_OUT) {
            message = bound.killed(when);
        } else if (r.reason() == ExitReason.EXITED) {
            message = exit.isPresent()
                    ? "the test called System.exit(" + r.exitCode() + "): the sandboxed JVM exited " + when
                    : "the sandboxed JVM exited with code " + r.exitCode() + " " + when + " without reporting a result";
        } else if (r.reason() == ExitReason.SIGNALED) {
            int signal = r.signal().orElse(0);
            message = "the sandboxed JVM " + (signal == 6 || signal == 11 || signal == 7 || signal == 4 ? "crashed" : "was killed")
                    + " (signal " + signal + ") " + when
                    + outcome.crash().map(c -> "; its crash report says:\n" + c).orElse("");
        } else {
            message = "the sandboxed JVM " + r + " " + when;
        }
        SandboxedJvmException e = new SandboxedJvmException(message);
        exit.ifPresent(x -> {
            Throwable frames = ThrowableCodec.decode(x, Verdict.class.getClassLoader());
            e.setStackTrace(frames.getStackTrace());
        });
        return e;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
