package dev.sandboxed.core.internal.host;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Runs an external probe command; an interface so tests can fake {@code unshare} and {@code getcap}. */
@FunctionalInterface
public interface CommandRunner {

    /**
     * Runs {@code command} with no input and waits at most {@code timeout}.
     *
     * @throws IOException when the command cannot be started
     */
    Result run(List<String> command, Duration timeout) throws IOException;

    /**
     * How a command ended.
     *
     * @param exitCode the exit status, or -1 when it timed out
     * @param output   standard output and standard error, interleaved
     * @param timedOut whether it was killed after the timeout
     */
    record Result(int exitCode, String output, boolean timedOut) {
        public Result {
            output = output == null ? "" : output;
        }

        public static Result exited(int exitCode, String output) {
            return new Result(exitCode, output, false);
        }

        public boolean succeeded() {
            return !timedOut && exitCode == 0;
        }
    }
}
