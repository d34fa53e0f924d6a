package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.junit.internal.hermetic.JvmRun;
import dev.sandboxed.junit.internal.hermetic.Wire;

/**
 * {@code @Sandboxed(jvm = true)}: each fixture test runs in a fresh JVM in a sandbox, and its result comes back here as
 * if it had run in place. Properties named {@code jvmtest.*} reach the sandboxed JVM as the parent's system properties.
 */
class JvmTest {
    /** Counts lifecycle methods that ran in this (the parent) JVM: none should for a jvm = true test. */
    static final AtomicInteger PARENT_LIFECYCLE = new AtomicInteger();

    @Sandboxed(jvm = true)
    static class Passing {
        private String setUp;

        @BeforeEach
        void setUp() {
            if (!Boolean.getBoolean("sandboxed.jvm.child")) {
                PARENT_LIFECYCLE.incrementAndGet();
            }
            setUp = "set up in " + ProcessHandle.current().pid();
        }

        @Test
        @ExtendWith(ConfigProbe.class)
        void runsInItsOwnJvm(TestReporter reporter, @TempDir Path dir) throws IOException {
            assertThat(Boolean.getBoolean("sandboxed.jvm.child")).as("in the sandboxed JVM").isTrue();
            assertThat(setUp).as("@BeforeEach ran in the same JVM").isEqualTo("set up in " + ProcessHandle.current().pid());
            assertThat(System.getProperty("jvmtest.option")).as("from sandboxed.jvm.options").isEqualTo("given");
            // The JVM's own view (ProcessHandle's arguments are empty where the command line is long, as on CI).
            assertThat(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
                    .as("the chosen start-up options")
                    .contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=3", "-Xshare:auto",
                            "-XX:-UsePerfData");
            assertThat(dir).startsWith(Path.of("/tmp"));
            Files.writeString(dir.resolve("file"), "@TempDir inside the sandbox");
            reporter.publishEntry("hello", "from the sandboxed JVM");
        }

        @AfterEach
        void tearDown() {
            if (!Boolean.getBoolean("sandboxed.jvm.child")) {
                PARENT_LIFECYCLE.incrementAndGet();
            }
        }
    }

    /** Publishes the configuration parameters {@code jvmtest.*} as the launcher running the test sees them. */
    static class ConfigProbe implements BeforeEachCallback {
        @Override
        public void beforeEach(ExtensionContext context) {
            context.publishReportEntry("jvmtest.config", context.getConfigurationParameter("jvmtest.config").orElse("unset"));
            for (String key : List.of("jvmtest.spaced", "jvmtest.empty")) {
                context.publishReportEntry(key, context.getConfigurationParameter(key).map(v -> "[" + v + "]").orElse("unset"));
            }
        }
    }

    /** The same probe, in place. */
    static class InPlaceConfig {
        @Test
        @ExtendWith(ConfigProbe.class)
        void probes() {
        }
    }

    @Test
    void forwardedParametersReachTheSandboxedJvmAsTheyAreInPlace() {
        Map<String, String> config = Map.of("sandboxed.jvm.forward", "jvmtest.config, jvmtest.spaced,jvmtest.empty",
                "jvmtest.config", "passed on", "jvmtest.spaced", "  two  spaces ", "jvmtest.empty", "",
                "sandboxed.jvm.options", "-Djvmtest.option=given"); // as Passing expects
        Map<String, String> inPlace = probed(Kit.run(InPlaceConfig.class, config));
        Map<String, String> sandboxed = probed(Kit.run(Passing.class, config));
        assertThat(sandboxed).containsEntry("jvmtest.config", "passed on").isEqualTo(inPlace);
        assertThat(inPlace).containsEntry("jvmtest.spaced", "[  two  spaces ]");
        Kit.assertNothingLeft(List.of());
    }

    private static Map<String, String> probed(EngineExecutionResults results) {
        Kit.succeeded(results, 1);
        Map<String, String> probed = new java.util.TreeMap<>();
        results.allEvents().reportingEntryPublished().stream().map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs())
                .forEach(e -> e.forEach((k, v) -> {
                    if (k.startsWith("jvmtest.")) {
                        probed.put(k, v);
                    }
                }));
        return probed;
    }

    @Test
    void passesInItsOwnJvmWithUsageAndEntries() {
        PARENT_LIFECYCLE.set(0);
        EngineExecutionResults results = Kit.run(Passing.class, Map.of("sandboxed.jvm.options", "-Djvmtest.option=given",
                "sandboxed.jvm.forward", "jvmtest.config", "jvmtest.config", "passed on"));
        Kit.succeeded(results, 1);
        assertThat(PARENT_LIFECYCLE).as("@BeforeEach/@AfterEach in the parent").hasValue(0);
        List<Map<String, String>> entries = results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs()).toList();
        assertThat(entries).anySatisfy(e -> assertThat(e).containsEntry("hello", "from the sandboxed JVM"));
        assertThat(entries).anySatisfy(e -> assertThat(e).containsEntry("jvmtest.config", "passed on"));
        Map<String, String> usage = entries.stream().filter(e -> e.containsKey("sandboxed.jvm.usage")).findFirst().orElseThrow();
        assertThat(Long.parseLong(usage.get("sandboxed.jvm.memoryPeakBytes"))).as("peak memory of the JVM's sandbox")
                .isGreaterThan(8L << 20);
        assertThat(Long.parseLong(usage.get("sandboxed.jvm.cpuMillis"))).as("CPU time of the JVM").isPositive();
        assertThat(Long.parseLong(usage.get("sandboxed.jvm.pidsPeak"))).as("JVM threads").isGreaterThan(2);
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    static class FailingMany {
        @Test
        void assertsAll() {
            org.junit.jupiter.api.Assertions.assertAll("two checks", () -> assertEquals(1, 2), () -> assertEquals("a", "b"));
        }

        @Test
        void assertsSoftly() {
            org.assertj.core.api.SoftAssertions.assertSoftly(softly -> {
                softly.assertThat(1).isEqualTo(2);
                softly.assertThat("a").isEqualTo("b");
            });
        }
    }

    @Test
    void multipleFailuresComeBackWithTheirHeadingAndEachFailure() {
        EngineExecutionResults results = Kit.run(FailingMany.class);
        List<Throwable> failures = results.testEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
        assertThat(failures).hasSize(2).allSatisfy(f -> assertThat(f).isInstanceOf(org.opentest4j.MultipleFailuresError.class)
                .isNotInstanceOf(StandInException.class));
        for (Throwable f : failures) {
            List<Throwable> each = ((org.opentest4j.MultipleFailuresError) f).getFailures();
            assertThat(each).hasSize(2).allSatisfy(e -> assertThat(e).isInstanceOf(AssertionFailedError.class));
            AssertionFailedError first = (AssertionFailedError) each.get(0);
            assertThat(List.of(first.getExpected().getStringRepresentation(), first.getActual().getStringRepresentation()))
                    .as("expected and actual kept").containsExactlyInAnyOrder("1", "2");
        }
        assertThat(failures).anySatisfy(f -> assertThat(f).hasMessageStartingWith("two checks (2 failures)"));
    }

    @Sandboxed(jvm = true)
    static class FailingAssertion {
        @Test
        void comparesStrings() {
            assertEquals("expected text", "actual text", "the texts differ");
        }
    }

    @Test
    void assertionFailureKeepsTypeExpectedActualAndStackTrace() {
        Throwable failure;
        System.setProperty("jvmtest.secret", "hunter2"); // passed on as -D, as a build's -Dpassword=... is
        try {
            failure = Kit.onlyFailure(Kit.run(FailingAssertion.class));
        } finally {
            System.clearProperty("jvmtest.secret");
        }
        assertThat(failure).isExactlyInstanceOf(AssertionFailedError.class)
                .hasMessageStartingWith("the texts differ ==> expected: <expected text> but was: <actual text>");
        AssertionFailedError a = (AssertionFailedError) failure;
        assertThat(a.getExpected().getValue()).isEqualTo("expected text");
        assertThat(a.getActual().getValue()).isEqualTo("actual text");
        assertThat(failure.getStackTrace()).anySatisfy(f -> {
            assertThat(f.getClassName()).isEqualTo(FailingAssertion.class.getName());
            assertThat(f.getMethodName()).isEqualTo("comparesStrings");
            assertThat(f.getLineNumber()).isPositive();
        });
        assertThat(Kit.diagnostics(failure)).contains("sandboxed JVM", "usage: memory", "-Djvmtest.secret=...")
                .doesNotContain("hunter2");
    }

    @Test
    void stackTracePruningIsTheTestRunsChoiceThereToo() {
        // The launcher there prunes JUnit's frames by default; a run that turned pruning off gets them all, as in place.
        Throwable full = Kit.onlyFailure(Kit.run(FailingAssertion.class, Map.of("junit.platform.stacktrace.pruning.enabled",
                "false")));
        assertThat(full.getStackTrace()).as("frames of the sandboxed JVM's launcher")
                .anySatisfy(f -> assertThat(f.getClassName()).startsWith("org.junit.platform.launcher."));
        Throwable pruned = Kit.onlyFailure(Kit.run(FailingAssertion.class));
        assertThat(pruned.getStackTrace()).noneSatisfy(f -> assertThat(f.getClassName())
                .startsWith("org.junit.platform.launcher."));
    }

    /** Made a hidden class in the sandboxed JVM, so no other JVM can load it by name. */
    public static class ChildOnlyException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ChildOnlyException(String message) {
            super(message);
        }
    }

    @Sandboxed(jvm = true)
    static class Unloadable {
        @Test
        void throwsHidden() throws Exception {
            byte[] bytes;
            try (InputStream in = JvmTest.class.getResourceAsStream("JvmTest$ChildOnlyException.class")) {
                bytes = in.readAllBytes();
            }
            Class<?> hidden = MethodHandles.lookup().defineHiddenClass(bytes, true).lookupClass();
            RuntimeException e = (RuntimeException) hidden.getConstructor(String.class).newInstance("made in the child");
            e.initCause(new IllegalStateException("the cause"));
            throw e;
        }
    }

    @Test
    void unloadableExceptionBecomesAStandInNamingIt() {
        Throwable failure = Kit.onlyFailure(Kit.run(Unloadable.class));
        assertThat(failure).isInstanceOf(StandInException.class).hasMessage("made in the child")
                .hasCauseExactlyInstanceOf(IllegalStateException.class).hasRootCauseMessage("the cause");
        String original = ((StandInException) failure).originalClassName();
        assertThat(original).startsWith(ChildOnlyException.class.getName() + "/");
        assertThat(failure.toString()).isEqualTo(original + ": made in the child");
        // The child's stack comes along: the throwing test method is in it (the reflective frames above it differ
        // between JDKs).
        assertThat(failure.getStackTrace()).anySatisfy(frame -> {
            assertThat(frame.getClassName()).isEqualTo(Unloadable.class.getName());
            assertThat(frame.getMethodName()).isEqualTo("throwsHidden");
        });
    }

    /** A user's own AssertionFailedError, which an IDE shows a diff for. */
    public static class ComparisonError extends AssertionFailedError {
        private static final long serialVersionUID = 1L;

        public ComparisonError(String message, Object expected, Object actual) {
            super(message, expected, actual);
        }
    }

    @Sandboxed(jvm = true)
    static class FailingSubclass {
        @Test
        void throwsOwnSubclass() {
            throw new ComparisonError("the lists differ", "[a, b]", "[a, c]");
        }

        @Test
        void throwsHiddenSubclass() throws Exception {
            byte[] bytes;
            try (InputStream in = JvmTest.class.getResourceAsStream("JvmTest$ComparisonError.class")) {
                bytes = in.readAllBytes();
            }
            Class<?> hidden = MethodHandles.lookup().defineHiddenClass(bytes, true).lookupClass();
            throw (AssertionFailedError) hidden.getConstructor(String.class, Object.class, Object.class)
                    .newInstance("hidden differs", 1, 2);
        }
    }

    @Test
    void assertionFailedErrorSubclassKeepsTypeOrStandsInWithExpectedAndActual() {
        EngineExecutionResults results = Kit.run(FailingSubclass.class);
        Map<String, Throwable> failures = new java.util.HashMap<>();
        results.testEvents().failed().stream().forEach(e -> failures.put(e.getTestDescriptor().getDisplayName(),
                e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()));
        assertThat(failures).containsOnlyKeys("throwsOwnSubclass()", "throwsHiddenSubclass()");
        Throwable own = failures.get("throwsOwnSubclass()");
        assertThat(own).isExactlyInstanceOf(ComparisonError.class).hasMessage("the lists differ");
        assertThat(((AssertionFailedError) own).getExpected().getValue()).isEqualTo("[a, b]");
        assertThat(((AssertionFailedError) own).getActual().getValue()).isEqualTo("[a, c]");
        Throwable hidden = failures.get("throwsHiddenSubclass()");
        assertThat(hidden).isExactlyInstanceOf(StandInAssertionFailedError.class).hasMessage("hidden differs");
        assertThat(((StandInAssertionFailedError) hidden).originalClassName()).startsWith(ComparisonError.class.getName() + "/");
        assertThat(((AssertionFailedError) hidden).getExpected().getValue()).isEqualTo(1);
        assertThat(((AssertionFailedError) hidden).getActual().getValue()).isEqualTo(2);
    }

    @Sandboxed(jvm = true)
    static class PublishingFiles {
        @Test
        void publishesAFileAndADirectory(TestReporter reporter, @TempDir Path dir) throws IOException {
            Path secret = Files.writeString(dir.resolve("secret"), "only by a link");
            reporter.publishFile("notes.txt", org.junit.jupiter.api.MediaType.TEXT_PLAIN_UTF_8, file -> {
                Files.writeString(file, "written in the sandboxed JVM");
                Path root = file.getParent(); // JUnit's directory per test, below the sandboxed JVM's output directory
                while (root.getParent() != null && !root.getFileName().toString().equals("sandboxed-junit-output")) {
                    root = root.getParent();
                }
                reporter.publishEntry("outputDirectory", root + " "
                        + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
            });
            reporter.publishDirectory("tree", tree -> {
                Files.writeString(Files.createDirectories(tree.resolve("sub")).resolve("leaf.txt"), "leaf");
                Files.createDirectories(tree.resolve("empty"));
                Files.createSymbolicLink(tree.resolve("link"), secret);
            });
        }

        @Test
        void publishesTooMuch(TestReporter reporter) {
            // Sparse: 17 MiB long, nothing written.
            reporter.publishFile("big.bin", org.junit.jupiter.api.MediaType.APPLICATION_OCTET_STREAM, file -> {
                try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(17L << 20);
                }
            });
        }

        @Test
        void publishesALink(TestReporter reporter, @TempDir Path dir) throws IOException {
            Path secret = Files.writeString(dir.resolve("secret"), "only by a link");
            reporter.publishFile("link.txt", org.junit.jupiter.api.MediaType.TEXT_PLAIN,
                    file -> Files.createSymbolicLink(file, secret));
        }
    }

    @Test
    void publishedFilesComeHereWithNameTypeAndContentButNoLinkAndNothingOverTheCap(@TempDir Path output) throws IOException {
        EngineExecutionResults results = Kit.run(PublishingFiles.class, output, Map.of());
        Kit.succeeded(results, 3);
        Map<String, org.junit.platform.engine.reporting.FileEntry> files = new java.util.HashMap<>();
        results.allEvents().filter(e -> e.getType() == org.junit.platform.testkit.engine.EventType.FILE_ENTRY_PUBLISHED)
                .map(e -> e.getRequiredPayload(org.junit.platform.engine.reporting.FileEntry.class))
                .forEach(f -> files.put(f.getPath().getFileName().toString(), f));
        assertThat(files).containsOnlyKeys("notes.txt", "tree");
        org.junit.platform.engine.reporting.FileEntry notes = files.get("notes.txt");
        assertThat(notes.getPath()).startsWith(output);
        assertThat(notes.getMediaType()).contains("text/plain; charset=UTF-8");
        assertThat(Files.readString(notes.getPath())).isEqualTo("written in the sandboxed JVM");
        assertThat(results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs().get("outputDirectory"))
                .filter(java.util.Objects::nonNull)).as("made by its name, the owner's only").containsExactly("/tmp/sandboxed-junit-output rwx------");
        Path tree = files.get("tree").getPath();
        assertThat(Files.readString(tree.resolve("sub/leaf.txt"))).isEqualTo("leaf");
        assertThat(tree.resolve("empty")).isEmptyDirectory();
        assertThat(tree.resolve("link")).doesNotExist();
        List<String> notForwarded = results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs().get("sandboxed.jvm.file"))
                .filter(java.util.Objects::nonNull).toList();
        assertThat(notForwarded).containsExactlyInAnyOrder(
                "tree/link is a symbolic link in the sandboxed JVM: not followed, not forwarded",
                "big.bin is 17.0 MiB: larger than the 16.0 MiB a published file may be; not forwarded",
                "link.txt is a symbolic link in the sandboxed JVM: not followed, not forwarded");
    }

    /** The sandboxed JVM's output directory has a fixed name: here a mount took it first. */
    @Sandboxed(jvm = true, tmpfs = @Tmpfs(target = "/tmp/sandboxed-junit-output"))
    static class PublishingWhereTheOutputNameIsTaken {
        @Test
        void publishesAFile(TestReporter reporter) {
            reporter.publishFile("notes.txt", org.junit.jupiter.api.MediaType.TEXT_PLAIN_UTF_8,
                    file -> Files.writeString(file, "written beside a mount"));
        }
    }

    @Test
    void filesArePublishedAlsoWhenTheOutputDirectorysNameIsTaken(@TempDir Path output) throws IOException {
        EngineExecutionResults results = Kit.run(PublishingWhereTheOutputNameIsTaken.class, output, Map.of());
        Kit.succeeded(results, 1);
        List<Path> files = results.allEvents().filter(e -> e.getType() == org.junit.platform.testkit.engine.EventType.FILE_ENTRY_PUBLISHED)
                .map(e -> e.getRequiredPayload(org.junit.platform.engine.reporting.FileEntry.class).getPath()).toList();
        assertThat(files).singleElement().satisfies(f -> assertThat(Files.readString(f)).isEqualTo("written beside a mount"));
    }

    @Sandboxed(jvm = true)
    static class PublishingOnASmallHeap {
        @Test
        void publishesSixteenMebibytes(TestReporter reporter) {
            reporter.publishFile("full.bin", org.junit.jupiter.api.MediaType.APPLICATION_OCTET_STREAM, file -> {
                try (OutputStream out = Files.newOutputStream(file)) {
                    byte[] chunk = new byte[1 << 16];
                    for (int i = 0; i < 256; i++) {
                        out.write(chunk);
                    }
                }
            });
        }
    }

    @Test
    void aFileTheSandboxedJvmHasNoHeapToSendIsNamedAndTheTestStillPasses(@TempDir Path output) {
        // Its bytes, their base64 and the event's line do not fit in 24 MiB of heap.
        EngineExecutionResults results = Kit.run(PublishingOnASmallHeap.class, output,
                Map.of("sandboxed.jvm.options", "-Xmx24m"));
        Kit.succeeded(results, 1);
        assertThat(results.allEvents().filter(e -> e.getType() == org.junit.platform.testkit.engine.EventType.FILE_ENTRY_PUBLISHED)
                .count()).isZero();
        assertThat(results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs().get("sandboxed.jvm.file"))
                .filter(java.util.Objects::nonNull)).singleElement().asString()
                .startsWith("full.bin could not be sent from the sandboxed JVM (java.lang.OutOfMemoryError");
    }

    @Sandboxed(jvm = true)
    static class Aborting {
        @Test
        void assumesOtherwise() {
            assumeTrue(false, "not on this host");
        }
    }

    @Test
    void assumptionAborts() {
        EngineExecutionResults results = Kit.run(Aborting.class);
        results.testEvents().assertStatistics(s -> s.aborted(1).failed(0).succeeded(0));
        Throwable t = results.testEvents().aborted().stream().findFirst().orElseThrow()
                .getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow();
        assertThat(t).isExactlyInstanceOf(TestAbortedException.class).hasMessage("Assumption failed: not on this host");
    }

    @Sandboxed(jvm = true)
    static class Exiting {
        @Test
        void exits() {
            System.exit(3);
        }
    }

    @Test
    void systemExitFailsThatTestNamingIt() {
        Throwable failure = Kit.onlyFailure(Kit.run(Exiting.class));
        assertThat(failure).isInstanceOf(SandboxedJvmException.class)
                .hasMessage("the test called System.exit(3): the sandboxed JVM exited while the test ran");
        assertThat(failure.getStackTrace()).anySatisfy(f -> assertThat(f.getMethodName()).isEqualTo("exits"));
    }

    @Sandboxed(jvm = true)
    static class ReplacesItsEvents {
        @Test
        void linksItsEventsFifoToAHostFile() throws Exception {
            Path events = Path.of(Wire.DIR_INSIDE, Wire.EVENTS);
            Files.delete(events);
            Files.createSymbolicLink(events, Path.of("/proc/self/status"));
            throw new AssertionError("the test's own failure");
        }
    }

    @Test
    void anEventsFifoTheTestReplacedWithALinkIsNotFollowed() {
        // The parent reads the FIFO it opened before the sandbox started: a link in its place (resolved in the
        // parent's own view) is never opened, and the test's own result still arrives.
        Throwable failure = Kit.onlyFailure(Kit.run(ReplacesItsEvents.class));
        assertThat(failure).isInstanceOf(AssertionError.class).hasMessage("the test's own failure");
    }

    @Sandboxed(jvm = true)
    static class ForgesItsEvents {
        @Test
        void replacesItsEventsFifoWithAForgedSuccess() throws Exception {
            Path events = Path.of(Wire.DIR_INSIDE, Wire.EVENTS);
            Files.delete(events);
            Files.writeString(events, "{\"type\":\"started\"}\n{\"type\":\"finished\",\"status\":\"SUCCESSFUL\"}\n");
            throw new AssertionError("the real failure");
        }
    }

    @Test
    void anEventsFileForgedInTheFifosPlaceIsNotRead() {
        Throwable failure = Kit.onlyFailure(Kit.run(ForgesItsEvents.class));
        assertThat(failure).isInstanceOf(AssertionError.class).hasMessage("the real failure");
    }

    @Sandboxed(jvm = true)
    static class ForgesAReportEntry {
        @Test
        void writesAnEntryJUnitRefuses() throws Exception {
            Files.writeString(Path.of(Wire.DIR_INSIDE, Wire.EVENTS), "{\"type\":\"entry\",\"entries\":{\" \":\"x\"}}\n",
                    java.nio.file.StandardOpenOption.WRITE);
        }
    }

    @Test
    void aReportEntryJUnitRefusesDoesNotDecideTheResult() {
        Kit.succeeded(Kit.run(ForgesAReportEntry.class), 1);
    }

    @Sandboxed(jvm = true)
    static class WritesAnEndlessEventLine {
        @Test
        void writesPastTheLineCapThenWaits() throws Exception {
            try (OutputStream out = Files.newOutputStream(Path.of(Wire.DIR_INSIDE, Wire.EVENTS),
                    java.nio.file.StandardOpenOption.WRITE)) {
                byte[] chunk = new byte[1 << 20];
                java.util.Arrays.fill(chunk, (byte) 'x');
                for (int i = 0; i < 33; i++) {
                    out.write(chunk);
                }
                Thread.sleep(Long.MAX_VALUE); // only the parent's kill ends it
            }
        }
    }

    @Test
    void anEventLineOverTheCapKillsTheJvmAndFailsNamingTheCap() {
        Throwable failure = Kit.onlyFailure(Kit.run(WritesAnEndlessEventLine.class));
        assertThat(failure).isInstanceOf(java.io.UncheckedIOException.class).hasMessage(
                "the sandboxed JVM wrote an event line longer than 32 MiB (the cap), so it was killed");
    }

    @Sandboxed(jvm = true)
    static class LocksItsDirectory {
        @Test
        void chmodsEverythingInTheSharedDirectoryTo000() throws Exception {
            Path dir = Path.of(Wire.DIR_INSIDE);
            Path deep = Files.createDirectories(dir.resolve("a/b/c"));
            Files.writeString(deep.resolve("file"), "x");
            Files.createSymbolicLink(dir.resolve("a/link"), Path.of("/proc/self"));
            var none = java.nio.file.attribute.PosixFilePermissions.fromString("---------");
            Files.setPosixFilePermissions(deep.resolve("file"), none);
            Files.setPosixFilePermissions(deep, none);
            Files.setPosixFilePermissions(deep.getParent(), none);
            Files.setPosixFilePermissions(dir.resolve("a"), none);
            // The events still arrive (through the FIFO the parent opened), whatever the directory's mode.
            Files.setPosixFilePermissions(dir.resolve(Wire.EVENTS), none);
            Files.setPosixFilePermissions(dir, none);
        }
    }

    @Test
    void aSharedDirectoryTheTestLockedIsRemoved() throws IOException {
        List<Path> before = ownSharedDirectories();
        Kit.succeeded(Kit.run(LocksItsDirectory.class), 1);
        assertThat(ownSharedDirectories()).as("shared directories left").isSubsetOf(before);
    }

    static List<Path> ownSharedDirectories() throws IOException {
        String namespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().replaceAll("\\D", "");
        String prefix = "sandboxed-jvm-" + namespace + "-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    @Sandboxed(jvm = true)
    static class Printing {
        @Test
        void printsALotThenItsLastLine() {
            String line = "x".repeat(1023);
            for (int i = 0; i < 256; i++) {
                System.out.println(line);
            }
            System.out.println("the last line");
        }
    }

    @Test
    void allTheOutputIsOutBeforeTheResult() {
        // A slow reader of this JVM's stdout: the copy of the child's output lags behind its end.
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream slow = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                captured.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                captured.write(b, off, len);
            }
        }, true);
        PrintStream before = System.out;
        String output;
        System.setOut(slow);
        try {
            Kit.succeeded(Kit.run(Printing.class), 1);
            synchronized (captured) {
                output = captured.toString(StandardCharsets.UTF_8);
            }
        } finally {
            System.setOut(before);
        }
        assertThat(output).contains("the last line\n");
    }

    @Sandboxed(jvm = true)
    static class Crashing {
        @Test
        void writesToAddressZero() throws Exception {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            unsafe.getClass().getMethod("putLong", long.class, long.class).invoke(unsafe, 0L, 42L);
        }
    }

    @Test
    void aCrashFailsThatTestWithTheHeadOfItsCrashReport() {
        Throwable failure = Kit.onlyFailure(Kit.run(Crashing.class));
        assertThat(failure).isInstanceOf(SandboxedJvmException.class)
                .hasMessageStartingWith("the sandboxed JVM crashed (signal 6) while the test ran; its crash report says:")
                .hasMessageContaining("SIGSEGV");
    }

    @Sandboxed(jvm = true, memory = "128m")
    static class Hungry {
        @Test
        void allocatesNativeMemory() throws Exception {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            var allocate = unsafe.getClass().getMethod("allocateMemory", long.class);
            var set = unsafe.getClass().getMethod("setMemory", long.class, long.class, byte.class);
            for (int i = 0; i < 64; i++) { // 1 GiB, far over the limit: the OOM killer ends it first
                long address = (long) allocate.invoke(unsafe, 16L << 20);
                set.invoke(unsafe, address, 16L << 20, (byte) 1);
            }
        }
    }

    @Test
    void oomKillFailsThatTestNamingIt() {
        EngineExecutionResults results = Kit.run(Hungry.class);
        Throwable failure = Kit.onlyFailure(results);
        assertThat(failure).isInstanceOf(SandboxedJvmException.class)
                .hasMessageStartingWith("the sandboxed JVM was killed by the OOM killer while the test ran: its sandbox "
                        + "reached the memory limit of 128.0 MiB (peak ");
        Map<String, String> usage = usage(results);
        assertThat(Long.parseLong(usage.get("sandboxed.jvm.oomKills"))).isPositive();
    }

    @Sandboxed(jvm = true, timeout = "8s")
    static class Hanging {
        @Test
        void hangs() throws InterruptedException {
            Thread.sleep(600_000);
        }
    }

    @Test
    void hangTimesOutAndFailsThatTestNamingIt() {
        Throwable failure = Kit.onlyFailure(Kit.run(Hanging.class));
        assertThat(failure).isInstanceOf(SandboxedJvmException.class)
                .hasMessageStartingWith("the sandboxed JVM did not finish within 8 s and was killed ")
                .hasMessageEndingWith(" (timeout; set @Sandboxed(timeout) or sandboxed.timeout)");
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    static class ShortTimeout {
        /** A start longer than the timeout whatever the machine's load: the timeout must not count it. */
        ShortTimeout() throws InterruptedException {
            if (Boolean.getBoolean("sandboxed.jvm.child")) {
                Thread.sleep(3_000);
            }
        }

        @Test
        @Timeout(value = 2, unit = TimeUnit.SECONDS)
        void quick() {
            if (!Boolean.getBoolean("sandboxed.jvm.child")) { // no AssertJ: its first use loads some 100 classes
                throw new AssertionError("not in the sandboxed JVM");
            }
        }
    }

    @Test
    void timeoutShorterThanAJvmStartBoundsTheTestNotTheStart(@TempDir Path cds) {
        // A fresh archive directory: this JVM also lists its classes and the archive is dumped after it.
        Kit.succeeded(Kit.run(ShortTimeout.class, Map.of("sandboxed.jvm.cds.dir", cds.toString())), 1);
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    static class Oversleeping {
        @Test
        @Timeout(value = 100, unit = TimeUnit.MILLISECONDS)
        void sleeps() throws InterruptedException {
            Thread.sleep(120_000);
        }
    }

    @Test
    void timeoutOfTheTestFailsItInItsJvmNamingIt() {
        Throwable failure = Kit.onlyFailure(Kit.run(Oversleeping.class));
        assertThat(failure).isInstanceOf(TimeoutException.class).hasMessage("sleeps() timed out after 100 milliseconds");
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    static class NonAsciiNames {
        @Test
        void writesAndReadsThem(@TempDir Path dir) throws IOException {
            assertThat(System.getProperty("sun.jnu.encoding")).as("file names encoded as in the parent JVM")
                    .isEqualTo(System.getProperty("jvmtest.jnu"));
            assertThat(String.valueOf(System.getenv("LANG"))).isEqualTo(System.getProperty("jvmtest.lang"));
            String name = "gr\u00fc\u00dfe-\u65e5\u672c-\u00e9.txt";
            Files.writeString(dir.resolve(name), "\u00e4", StandardCharsets.UTF_8);
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly(name);
            }
            assertThat(Files.readString(dir.resolve(name), StandardCharsets.UTF_8)).isEqualTo("\u00e4");
        }
    }

    @Test
    void nonAsciiFileNamesWorkThereAsHereWithTheParentsLocale() {
        String jnu = System.getProperty("sun.jnu.encoding");
        assumeTrue("UTF-8".equals(jnu), "this JVM encodes file names as " + jnu + ", not UTF-8 (LANG, LC_ALL)");
        Kit.succeeded(Kit.run(NonAsciiNames.class, Map.of("sandboxed.jvm.options", "-Djvmtest.jnu=" + jnu
                + " -Djvmtest.lang=" + System.getenv("LANG"))), 1);
    }

    /** Run by {@link #classPathOver128KiBIsPassedInAFile} only. */
    static class LongClassPath {
        @Test
        void seesIt() {
            assertThat(System.getProperty("java.class.path")).hasSizeGreaterThan(128 << 10).contains("padding-3999.jar");
        }
    }

    @Test
    void classPathOver128KiBIsPassedInAFile() {
        // One argument longer than the kernel's MAX_ARG_STRLEN (128 KiB) would fail exec with E2BIG.
        List<String> classPath = new ArrayList<>(JvmRun.classPath(List.of(JvmTest.class)));
        for (int i = 0; i < 4000; i++) {
            classPath.add(String.format("/nonexistent/sandboxed-jvmtest/a-long-class-path/padding-%04d.jar", i));
        }
        JvmRun.Outcome outcome = new JvmRun(classPath, List.of(), OutputStream.nullOutputStream(),
                OutputStream.nullOutputStream()).run(SandboxSpec.defaults(), new Wire.Request(
                        "[engine:junit-jupiter]/[class:" + LongClassPath.class.getName() + "]/[method:seesIt()]", "seesIt()",
                        Map.of()), Duration.ofMinutes(2), Sandbox::start);
        assertThat(outcome.events()).as(outcome.events().toString())
                .anySatisfy(e -> assertThat(e.path("status").asText()).isEqualTo("SUCCESSFUL"));
        assertThat(outcome.command()).as("the class path is not an argument").noneMatch(a -> a.contains("padding-0000.jar"));
    }

    @Sandboxed(jvm = true)
    static class Isolated {
        @Test
        void cannotConnect() throws IOException {
            int port = Integer.getInteger("jvmtest.port");
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "host loopback");
            try (Socket s = new Socket()) {
                assertThrows(IOException.class, () -> s.connect(new InetSocketAddress("192.0.2.1", 80), 2000), "outside");
            }
        }

        @Test
        void cannotSeeTheHome() {
            Path marker = Path.of(System.getProperty("jvmtest.marker"));
            assertThat(marker).doesNotExist();
            assertThat(marker.getParent().resolve(".bash_history")).doesNotExist();
        }

        @Test
        void writesOnlyItsTemp() throws IOException {
            Path outside = Path.of(System.getProperty("jvmtest.outside"));
            assertThrows(IOException.class, () -> Files.writeString(outside, "escaped"));
            Path inside = Files.createTempFile("fine", ".txt");
            Files.writeString(inside, "written");
            assertThat(inside).hasContent("written");
        }

        @Test
        void leavesABackgroundProcess() throws IOException {
            new ProcessBuilder("sleep", System.getProperty("jvmtest.token")).start();
        }
    }

    @Test
    void isolatedFromNetworkHomeHostFilesAndCleansProcesses() throws Exception {
        Path home = Path.of(System.getProperty("user.home"));
        Path marker = Files.createTempFile(home, "sandboxed-jvm-home-", ".txt");
        String token = "9999." + ThreadLocalRandom.current().nextInt(100_000, 999_999);
        Path outside = Path.of(System.getProperty("user.dir"), "target", "jvm-escape-" + token);
        try (ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            System.setProperty("jvmtest.port", Integer.toString(server.getLocalPort()));
            System.setProperty("jvmtest.marker", marker.toString());
            System.setProperty("jvmtest.outside", outside.toString());
            System.setProperty("jvmtest.token", token);
            Kit.succeeded(Kit.run(Isolated.class), 4);
            server.setSoTimeout(50);
            assertThrows(SocketTimeoutException.class, server::accept, "a connection reached the host");
        } finally {
            Stream.of("port", "marker", "outside", "token").forEach(k -> System.clearProperty("jvmtest." + k));
            Files.deleteIfExists(marker);
        }
        assertThat(outside).doesNotExist();
        assertThat(processWith(token)).as("background process left").isEmpty();
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(jvm = true)
    @TestMethodOrder(MethodOrderer.MethodName.class)
    static class Two {
        @Test
        void first() {
        }

        @Test
        void second() {
        }
    }

    @Test
    void nextJvmIsStartedAheadUnlessTurnedOff() {
        assertThat(startedAhead(Kit.run(Two.class))).containsExactly("false", "true");
        assertThat(startedAhead(Kit.run(Two.class, Map.of("sandboxed.jvm.prepared", "0")))).containsExactly("false", "false");
        Kit.assertNothingLeft(List.of());
        EngineExecutionResults bad = Kit.run(Two.class, Map.of("sandboxed.jvm.prepared", "-1"));
        bad.testEvents().assertStatistics(st -> st.failed(2));
        assertThat(bad.testEvents().failed().stream().map(e -> e.getRequiredPayload(TestExecutionResult.class)
                .getThrowable().orElseThrow())).allSatisfy(t -> assertThat(t).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessageStartingWith("invalid sandboxed.jvm.prepared: '-1' is not a whole number >= 0"));
    }

    @Test
    void aJvmStartedAheadAndNeverUsedLeavesNoPipeOpenHere() throws IOException {
        long before = pipes();
        // The second test's JVM starts one ahead for a third test, which never comes: closed unused.
        assertThat(startedAhead(Kit.run(Two.class))).containsExactly("false", "true");
        assertThat(pipes()).as("pipes open in this JVM").isEqualTo(before);
    }

    /** Pipes open in this JVM: a sandboxed JVM's stdin, stdout and stderr are pipes. */
    private static long pipes() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
                } catch (IOException e) {
                    return false; // the listing's own descriptor, closed by now
                }
            }).count();
        }
    }

    private static List<String> startedAhead(EngineExecutionResults results) {
        Kit.succeeded(results, 2);
        return results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs())
                .filter(e -> e.containsKey("sandboxed.jvm.startedAhead")).map(e -> e.get("sandboxed.jvm.startedAhead")).toList();
    }

    static class WithContainer {
        @Test
        @Sandboxed(jvm = true)
        void uses(Container container) {
        }
    }

    @Test
    void unsupportedConstructsAreRefusedNamingThem() {
        assertThat(Kit.onlyFailure(Kit.run(WithContainer.class))).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessage("invalid jvm: Container parameters (parameter 1 of uses): not supported with jvm = true yet; expected a "
                        + "test without containers");
    }

    /** Run by {@link #classPathEntryUnderTmpIsTheHosts} only: finds a resource that only a /tmp entry has. */
    static class ReadsTmpEntry {
        @Test
        void findsIt() throws IOException {
            try (InputStream in = ReadsTmpEntry.class.getClassLoader().getResourceAsStream(TMP_RESOURCE)) {
                assertThat(in).isNotNull();
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("from the host's /tmp");
            }
        }
    }

    static final String TMP_RESOURCE = "jvmtest-tmp-entry.txt";

    @Test
    void classPathEntryUnderTmpIsTheHosts() throws IOException {
        // The sandbox has its own /tmp, but a class-path entry there is bound from the host's at its own path.
        Path entry = Files.createTempDirectory(Path.of("/tmp"), "jvmtest-entry");
        try {
            Files.writeString(entry.resolve(TMP_RESOURCE), "from the host's /tmp");
            List<String> classPath = new ArrayList<>(JvmRun.classPath(List.of(JvmTest.class)));
            classPath.add(entry.toString());
            JvmRun.Outcome outcome = new JvmRun(classPath, List.of(), OutputStream.nullOutputStream(),
                    OutputStream.nullOutputStream()).run(SandboxSpec.defaults(), new Wire.Request(
                            "[engine:junit-jupiter]/[class:" + ReadsTmpEntry.class.getName() + "]/[method:findsIt()]", "findsIt()",
                            Map.of()), Duration.ofMinutes(2), Sandbox::start);
            assertThat(outcome.events()).as(outcome.events().toString())
                    .anySatisfy(e -> assertThat(e.path("status").asText()).isEqualTo("SUCCESSFUL"));
        } finally {
            Files.deleteIfExists(entry.resolve(TMP_RESOURCE));
            Files.deleteIfExists(entry);
        }
    }

    @Test
    void classPathHidingTheSandboxsOwnDirectoriesIsRefused() {
        assertThat(JvmRun.unreachable(List.of("/tmp"))).hasValue("'/tmp' would hide the sandbox's own /tmp");
        assertThat(JvmRun.unreachable(List.of("/run/"))).hasValue("'/run/' would hide the sandbox's own /run");
        assertThat(JvmRun.unreachable(List.of("/proc/1/root/app.jar"))).hasValue("'/proc/1/root/app.jar' is under /proc, "
                + "which the sandbox mounts itself");
        assertThat(JvmRun.unreachable(List.of("/"))).hasValue("'/' is the root directory, which would hide the sandbox's own /tmp");
        assertThat(JvmRun.unreachable(JvmRun.classPath(List.of(JvmTest.class)))).isEmpty();
    }

    private static Map<String, String> usage(EngineExecutionResults results) {
        return results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs())
                .filter(e -> e.containsKey("sandboxed.jvm.usage")).findFirst().orElseThrow();
    }

    /** A process of this host whose command line holds {@code token}. */
    private static Optional<Long> processWith(String token) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(token))
                .map(ProcessHandle::pid).findFirst();
    }
}
