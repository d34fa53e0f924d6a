package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.FileEntry;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.EventType;

import dev.sandboxed.core.SandboxRuntime;

/** A failing test's report carries the sandbox's spec, last output, exit reasons and usage. */
class DiagnosticsTest {

    @Sandboxed(hostname = "diag-host")
    static class Failing {
        @Test
        void failsAfterRunningThings(Container c, @Sandboxed(name = "other") Container other) {
            c.execShell("echo first-line; echo problem-on-stderr >&2; exit 7");
            c.startShell("echo server-started; sleep 600");
            c.start("sh", "-c", "echo x").waitFor(Duration.ofSeconds(5));
            other.exec("true");
            fail("deliberate failure");
        }

        @Test
        void passes(Container c) {
            c.exec("true");
        }
    }

    @BeforeEach
    void clean() {
        assertThat(SandboxRuntime.shared().openSandboxes()).isEmpty();
    }

    @Test
    void failureCarriesDiagnostics(@TempDir Path outputDir) throws Exception {
        EngineExecutionResults results = Kit.run(Failing.class, outputDir, Map.of());
        results.testEvents().assertStatistics(s -> s.failed(1).succeeded(1));
        Throwable failure = results.testEvents().failed().stream().findFirst().orElseThrow()
                .getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow();
        assertThat(failure).hasMessage("deliberate failure");
        assertThat(failure.getSuppressed()).hasSize(1);
        assertThat(failure.getSuppressed()[0]).isInstanceOf(SandboxDiagnostics.class);
        String report = ((SandboxDiagnostics) failure.getSuppressed()[0]).report();
        assertThat(report).contains("container 'default'", "container 'other'", "hostname=diag-host",
                "`sh -c echo first-line; echo problem-on-stderr >&2; exit 7` exited with code 7 [EXITED]",
                "first-line", "problem-on-stderr", "server-started", "still running", "usage: ");

        List<ReportEntry> entries = results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class)).toList();
        assertThat(entries).anySatisfy(e -> assertThat(e.getKeyValuePairs()).containsKey("sandboxed.diagnostics"));
        assertThat(entries).filteredOn(e -> e.getKeyValuePairs().containsKey("sandboxed.diagnostics"))
                .singleElement().satisfies(e -> assertThat(e.getKeyValuePairs().get("sandboxed.diagnostics")).isEqualTo(report));

        List<Event> files = results.allEvents().filter(e -> e.getType() == EventType.FILE_ENTRY_PUBLISHED).toList();
        assertThat(files).singleElement().satisfies(e -> {
            Path file = e.getRequiredPayload(FileEntry.class).getPath();
            assertThat(file.getFileName().toString()).isEqualTo("sandboxed-diagnostics.txt");
            assertThat(Files.readString(file)).isEqualTo(report);
        });
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed
    static class PassingOnly {
        @Test
        void passes(Container c) {
            c.exec("true");
        }
    }

    @Test
    void passingTestsPublishNothing() {
        EngineExecutionResults results = Kit.run(PassingOnly.class, Map.of());
        results.testEvents().assertStatistics(s -> s.succeeded(1));
        assertThat(results.allEvents().reportingEntryPublished().count()).isZero();
    }
}
