package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.junit.CleanupMode;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/** A container kept by its cleanup mode after its test failed, entered from another process with `sandboxed exec`. */
@RequiresSandbox
class KeptSandboxTest {
    static volatile Container seen;

    @Sandboxed(cleanup = CleanupMode.ON_SUCCESS, hostname = "failing")
    static class FailingTest {
        @Test
        void fails(Container c) {
            seen = c;
            c.exec("sh", "-c", "echo evidence > /tmp/evidence");
            fail("deliberate");
        }
    }

    @Test
    void isEnteredWithTheCommandItsFailurePrints() throws Exception {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(FailingTest.class))
                .execute();
        try {
            results.testEvents().assertStatistics(s -> s.failed(1));
            String id = seen.id();
            String command = "sandboxed exec " + id + " -- sh";
            Throwable failure = results.testEvents().failed().stream().findFirst().orElseThrow().getPayload(
                    TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
            assertThat(failure.getSuppressed()).singleElement().extracting(Throwable::getMessage).asString()
                    .contains("kept after this failure; enter it with: " + command);
            List<String> kept = new ArrayList<>();
            for (Event e : results.allEvents().reportingEntryPublished().list()) {
                e.getPayload(ReportEntry.class).orElseThrow().getKeyValuePairs().forEach((k, v) -> {
                    if (k.equals("sandboxed.kept")) {
                        kept.add(v);
                    }
                });
            }
            assertThat(kept).singleElement().asString().endsWith("enter it with: " + command);

            // The printed command, run as a user would from a terminal: sh reads its commands from our stdin.
            List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            argv.addAll(List.of(command.substring("sandboxed ".length()).split(" ")));
            Process cli = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (OutputStream stdin = cli.getOutputStream()) {
                stdin.write("cat /tmp/evidence; hostname; exit 4\n".getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(cli.exitValue()).isEqualTo(4);
            assertThat(output).isEqualTo("evidence\nfailing\n");

            assertThat(ps()).anySatisfy(line -> assertThat(line).startsWith(id).contains(" kept "));
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertThat(Main.run(List.of("rm", id), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)))
                    .as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(seen.isRunning()).as("removed by rm").isFalse();
        } finally {
            if (seen != null) {
                seen.close();
            }
        }
    }

    @Test
    void oneThatCannotOutliveTheRunSaysWhyInsteadOfOnlyHowToEnterIt(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, KeepRefusedHolder.class);
        try {
            String output = new String(owner.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(owner.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String why = "only until this test run ends, not after it (sandboxed.keep.afterJvm): this JVM connects the"
                    + " host ports it reaches (exposeHostPorts); enter it before then with: sandboxed exec ";
            assertThat(output.lines().filter(l -> l.startsWith("FAILURE kept after this failure; ")))
                    .as(output).singleElement().asString().contains(why);
            assertThat(output.lines().filter(l -> l.startsWith("KEPT "))).as(output).singleElement().asString()
                    .contains(why);
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir);
        }
    }

    private static List<String> ps() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Main.run(List.of("ps"), new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isZero();
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
