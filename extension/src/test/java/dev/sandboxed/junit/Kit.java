package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.OutputDirectoryProvider;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

import dev.sandboxed.core.SandboxRuntime;

/** Runs fixture classes on the Jupiter engine, as junit-pioneer does, and checks nothing was left behind. */
final class Kit {
    private Kit() {
    }

    static EngineExecutionResults run(Class<?> fixture, Map<String, String> parameters) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture))
                .configurationParameters(parameters).execute();
    }

    static EngineExecutionResults run(Class<?> fixture) {
        return run(fixture, Map.of());
    }

    /** Runs with JUnit's output directory in {@code outputDir}, where published files go. */
    @SuppressWarnings("deprecation") // OutputDirectoryProvider's replacement is JUnit 6 only; the project builds on 5.14
    static EngineExecutionResults run(Class<?> fixture, Path outputDir, Map<String, String> parameters) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).configurationParameters(parameters)
                .outputDirectoryProvider(new OutputDirectoryProvider() {
                    @Override
                    public Path getRootDirectory() {
                        return outputDir;
                    }

                    @Override
                    public Path createOutputDirectory(TestDescriptor descriptor) throws IOException {
                        return Files.createDirectories(outputDir.resolve(Integer.toHexString(descriptor.getUniqueId().hashCode())));
                    }
                }).execute();
    }

    /** No sandbox of this JVM is open and none of the given init pids is still alive. */
    static void assertNothingLeft(Collection<Integer> initPids) {
        assertThat(SandboxRuntime.shared().openSandboxes()).as("open sandboxes").isEmpty();
        // The killed init is reaped by its parent (the sandbox-init server) asynchronously: allow it a moment.
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (int pid : initPids) {
            while (Files.exists(Path.of("/proc/" + pid)) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            assertThat(Files.exists(Path.of("/proc/" + pid))).as("init pid %d still running", pid).isFalse();
        }
    }

    /** All {@code n} tests succeeded; else the failures, in full. */
    static void succeeded(EngineExecutionResults results, int n) {
        assertThat(results.allEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList())
                .as("failures").isEmpty();
        results.testEvents().assertStatistics(s -> s.succeeded(n));
    }

    /** The one failure of the run. */
    static Throwable onlyFailure(EngineExecutionResults results) {
        List<Throwable> failures = results.allEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
        assertThat(failures).hasSize(1);
        return failures.get(0);
    }

    /** The diagnostics report attached to a failure. */
    static String diagnostics(Throwable t) {
        for (Throwable s : t.getSuppressed()) {
            if (s instanceof SandboxDiagnostics d) {
                return d.report();
            }
        }
        throw new AssertionError("no diagnostics on " + t, t);
    }
}
