package dev.sandboxed.junit;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;
import static dev.sandboxed.junit.SandboxAssertions.mebibytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;

/** Assertion messages show the command, how it ended and its last output; usage checks explain missing values. */
class AssertionsTest {
    private static ExecResult result(int code, ExitReason reason, String out, String err, long millis) {
        OptionalInt signal = reason == ExitReason.EXITED ? OptionalInt.empty() : OptionalInt.of(code - 128);
        return new ExecResult(List.of("mytool", "--flag"), new ExitStatus(code, signal, reason),
                out.getBytes(StandardCharsets.UTF_8), err.getBytes(StandardCharsets.UTF_8), Duration.ofMillis(millis));
    }

    @Test
    void succeededPassesAndFailsWithContext() {
        assertThat(result(0, ExitReason.EXITED, "fine\n", "", 5)).succeeded().hasExitCode(0).hasStdout("fine")
                .hasEmptyStderr().stdoutMatches("^fi.e$").finishedWithin(Duration.ofSeconds(1));
        ExecResult failed = result(2, ExitReason.EXITED, "line1\nline2\n", "boom: no such file\n", 5);
        assertThatThrownBy(() -> assertThat(failed).succeeded())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Expected `mytool --flag` to succeed (exit code 0),\nbut it exited with code 2 [EXITED] after 5 ms.")
                .hasMessageContaining("boom: no such file")
                .hasMessageContaining("line2");
        assertThat(failed).failed().hasExitCode(2);
    }

    @Test
    void exitReasonsAreChecked() {
        ExecResult oom = result(137, ExitReason.OOM_KILLED, "", "", 5);
        assertThat(oom).wasOomKilled().failed();
        assertThatThrownBy(() -> assertThat(oom).timedOut()).hasMessageContaining("to end with reason TIMED_OUT")
                .hasMessageContaining("OOM");
        assertThat(result(137, ExitReason.TIMED_OUT, "", "", 5)).timedOut();
    }

    @Test
    void outputAndDurationFailuresShowWhatWasThere() {
        ExecResult r = result(0, ExitReason.EXITED, "100% done\n", "warning\n", 1500);
        assertThatThrownBy(() -> assertThat(r).stdoutContains("ready")).hasMessageContaining("\"ready\"")
                .hasMessageContaining("100% done");
        assertThatThrownBy(() -> assertThat(r).stderrContains("fatal")).hasMessageContaining("warning");
        assertThatThrownBy(() -> assertThat(r).hasEmptyStderr()).hasMessageContaining("warning");
        assertThatThrownBy(() -> assertThat(r).hasStdout("other")).hasMessageContaining("\"other\"");
        assertThatThrownBy(() -> assertThat(r).finishedWithin(Duration.ofSeconds(1))).hasMessageContaining("1500 ms");
        assertThatThrownBy(() -> assertThat(r).stdout().contains("xyz")).hasMessageContaining("stdout of `mytool --flag`");
    }

    private static ResourceUsage usage(long peak, long oom, long pidsHits) {
        return new ResourceUsage(peak / 2, peak, Duration.ofMillis(30), Duration.ofMillis(12), Duration.ZERO, 1, 4, oom, pidsHits);
    }

    @Test
    void usageAssertions() {
        ResourceUsage u = usage(mebibytes(10), 0, 0);
        assertThat(u).peakMemory().isLessThan(mebibytes(64)).isEqualTo(10L << 20);
        assertThat(u).cpuTime().isEqualTo(Duration.ofMillis(42));
        assertThat(u).peakProcesses().isEqualTo(4);
        assertThat(u).wasNotOomKilled().didNotHitPidsLimit();
        assertThatThrownBy(() -> assertThat(u).peakMemory().isLessThan(mebibytes(5)))
                .hasMessageContaining("peak memory").hasMessageContaining("10.0 MiB");
        assertThatThrownBy(() -> assertThat(u).wasOomKilled()).hasMessageContaining("OOM killer");
        assertThat(usage(mebibytes(64), 1, 3)).wasOomKilled().hitPidsLimit();
        assertThatThrownBy(() -> assertThat(usage(1, 2, 0)).wasNotOomKilled()).hasMessageContaining("killed 2");
    }

    @Test
    void unavailableUsageFailsWithAnExplanation() {
        assertThatThrownBy(() -> assertThat(ResourceUsage.NOT_AVAILABLE).peakMemory().isLessThan(1))
                .hasMessageContaining("does not measure").hasMessageContaining("sandboxed.cgroup.parent");
        assertThatThrownBy(() -> assertThat(ResourceUsage.NOT_AVAILABLE).wasNotOomKilled()).hasMessageContaining("does not measure");
        assertThatThrownBy(() -> assertThat(ResourceUsage.NOT_AVAILABLE).cpuTime()).hasMessageContaining("does not measure");
    }

    @Test
    void sizeHelpers() {
        assertThat(SandboxAssertions.kibibytes(2)).isEqualTo(2048);
        assertThat(mebibytes(3)).isEqualTo(3L << 20);
        assertThat(SandboxAssertions.gibibytes(1)).isEqualTo(1L << 30);
    }
}
