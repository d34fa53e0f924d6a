package dev.sandboxed.junit;

import java.time.Duration;
import java.util.regex.Pattern;

import org.assertj.core.api.AbstractAssert;
import org.assertj.core.api.AbstractStringAssert;
import org.assertj.core.api.Assertions;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;

/**
 * AssertJ assertions on a finished process. Every failure message shows the command, how it ended and the last
 * lines of its stdout and stderr. Obtain via {@link SandboxAssertions#assertThat(ExecResult)}.
 */
public class ExecResultAssert extends AbstractAssert<ExecResultAssert, ExecResult> {
    private static final int TAIL = 20;

    public ExecResultAssert(ExecResult actual) {
        super(actual, ExecResultAssert.class);
    }

    /** Exited by itself with code 0. */
    public ExecResultAssert succeeded() {
        isNotNull();
        if (!actual.succeeded()) {
            fail("to succeed (exit code 0)");
        }
        return this;
    }

    /** Did not succeed: a non-zero exit code, a signal, OOM or timeout. */
    public ExecResultAssert failed() {
        isNotNull();
        if (actual.succeeded()) {
            fail("to fail");
        }
        return this;
    }

    public ExecResultAssert hasExitCode(int expected) {
        isNotNull();
        if (actual.exitCode() != expected) {
            fail("to exit with code " + expected);
        }
        return this;
    }

    public ExecResultAssert hasExitReason(ExitReason expected) {
        isNotNull();
        if (actual.exitReason() != expected) {
            fail("to end with reason " + expected);
        }
        return this;
    }

    /** Killed by the OOM killer because the sandbox reached its memory limit. */
    public ExecResultAssert wasOomKilled() {
        return hasExitReason(ExitReason.OOM_KILLED);
    }

    /** Killed because it ran past its timeout. */
    public ExecResultAssert timedOut() {
        return hasExitReason(ExitReason.TIMED_OUT);
    }

    public ExecResultAssert stdoutContains(CharSequence... values) {
        isNotNull();
        for (CharSequence v : values) {
            if (!actual.stdout().contains(v)) {
                fail("to have stdout containing \"" + v + "\"");
            }
        }
        return this;
    }

    public ExecResultAssert stderrContains(CharSequence... values) {
        isNotNull();
        for (CharSequence v : values) {
            if (!actual.stderr().contains(v)) {
                fail("to have stderr containing \"" + v + "\"");
            }
        }
        return this;
    }

    /** Stdout equals {@code expected} after removing one trailing newline. */
    public ExecResultAssert hasStdout(String expected) {
        isNotNull();
        String out = actual.stdout();
        String trimmed = out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
        if (!trimmed.equals(expected) && !out.equals(expected)) {
            fail("to have stdout \"" + expected + "\"");
        }
        return this;
    }

    /** Some line of stdout matches {@code regex} (find semantics). */
    public ExecResultAssert stdoutMatches(String regex) {
        isNotNull();
        Pattern p = Pattern.compile(regex);
        if (actual.stdout().lines().noneMatch(l -> p.matcher(l).find())) {
            fail("to have a stdout line matching /" + regex + "/");
        }
        return this;
    }

    public ExecResultAssert hasEmptyStderr() {
        isNotNull();
        if (!actual.stderr().isEmpty()) {
            fail("to write nothing to stderr");
        }
        return this;
    }

    /** Took at most {@code limit}. */
    public ExecResultAssert finishedWithin(Duration limit) {
        isNotNull();
        if (actual.duration().compareTo(limit) > 0) {
            fail("to finish within " + limit.toMillis() + " ms but it took " + actual.duration().toMillis() + " ms");
        }
        return this;
    }

    /** Further AssertJ assertions on stdout. */
    public AbstractStringAssert<?> stdout() {
        isNotNull();
        return Assertions.assertThat(actual.stdout()).as("stdout of %s", FailureReport.describe(actual));
    }

    /** Further AssertJ assertions on stderr. */
    public AbstractStringAssert<?> stderr() {
        isNotNull();
        return Assertions.assertThat(actual.stderr()).as("stderr of %s", FailureReport.describe(actual));
    }

    private void fail(String expectation) {
        failWithMessage("%s", "Expected `" + String.join(" ", actual.command()) + "` " + expectation + ",\nbut it "
                + actual.status() + " [" + actual.exitReason() + "] after " + actual.duration().toMillis()
                + " ms.\nLast output:\n" + actual.tail(TAIL));
    }
}
