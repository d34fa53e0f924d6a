package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * {@code sandboxed.jvm.cds}: the first sandboxed JVM lists its classes, an archive of the class path's jars is made
 * from them once, and later sandboxed JVMs map it; a damaged archive costs only the speed.
 */
class JvmCdsTest {
    /** The sandboxed JVMs log where their classes came from here: their own /tmp. */
    static final String OPTIONS = "-Xlog:class+load=info:file=/tmp/jvmcdstest-classes.txt";

    @Sandboxed(jvm = true)
    @TestMethodOrder(MethodOrderer.MethodName.class)
    static class Three {
        @Test
        void first(TestReporter reporter) throws IOException {
            report(reporter);
        }

        @Test
        void second(TestReporter reporter) throws IOException {
            report(reporter);
        }

        @Test
        void third(TestReporter reporter) throws IOException {
            report(reporter);
        }

        /**
         * Whether Jackson's JsonFactory (from a jar, loaded at boot) and the class of a lambda in the JUnit launcher (made at
         * boot) were mapped from an archive, whether databind's ObjectMapper was loaded at all, and the class path.
         */
        private static void report(TestReporter reporter) throws IOException {
            List<String> lines = Files.readAllLines(Path.of("/tmp/jvmcdstest-classes.txt"));
            boolean shared = lines.stream().anyMatch(l -> l.contains(" com.fasterxml.jackson.core.JsonFactory source: "
                    + "shared objects file"));
            boolean mapper = lines.stream().anyMatch(l -> l.contains(" com.fasterxml.jackson.databind.ObjectMapper source: "));
            boolean lambda = lines.stream().anyMatch(l -> l.contains(" org.junit.platform.launcher.core.LauncherFactory$$Lambda")
                    && l.endsWith("source: shared objects file"));
            reporter.publishEntry(Map.of("shared", Boolean.toString(shared), "lambdaShared", Boolean.toString(lambda),
                    "mapperLoaded", Boolean.toString(mapper), "classPath", System.getProperty("java.class.path")));
        }
    }

    @Test
    void aSandboxedJvmNeverSetsUpDatabindsMapper(@TempDir Path dir) throws IOException {
        EngineExecutionResults results = Kit.run(Three.class, Map.of("sandboxed.jvm.cds.dir", dir.toString(),
                "sandboxed.jvm.options", OPTIONS));
        Kit.succeeded(results, 3);
        // It would cost each JVM some 85 ms of CPU time at boot (see Json): booted, requested, the test started.
        assertThat(entries(results, "mapperLoaded")).containsExactly("false", "false", "false");
    }

    @Test
    void archiveIsMadeOnceFromTheFirstJvmAndMappedByLaterOnes(@TempDir Path dir) throws IOException {
        // Another class path's archives: the one unused for two days goes when this one is made, the recent one stays.
        Path old = Files.write(dir.resolve("sandboxed-jvm-00000000000000000000.jsa"), new byte[10]);
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - Duration.ofDays(2).toMillis()));
        Path recent = Files.write(dir.resolve("sandboxed-jvm-11111111111111111111.jsa"), new byte[10]);
        EngineExecutionResults results = Kit.run(Three.class, Map.of("sandboxed.jvm.cds.dir", dir.toString(),
                "sandboxed.jvm.options", OPTIONS));
        Kit.succeeded(results, 3);
        List<Path> archives = archives(dir);
        assertThat(archives).as("the new archive and the recent one, nothing else left").hasSize(2).contains(recent);
        Path archive = archives.stream().filter(p -> !p.equals(recent)).findFirst().orElseThrow();
        // The first lists its classes, the second was started ahead while the first ran; the archive is dumped in the
        // background after the first, so the third maps it if it was made before the third started, else none.
        List<String> uses = entries(results, "sandboxed.jvm.cds");
        assertThat(uses).hasSize(3).startsWith("none yet: this JVM lists its classes for " + archive, "none");
        assertThat(uses.get(2)).isIn("none", archive.toString());
        boolean third = uses.get(2).equals(archive.toString());
        assertThat(entries(results, "shared")).containsExactly("false", "false", Boolean.toString(third));
        assertThat(entries(results, "lambdaShared")).containsExactly("false", "false", Boolean.toString(third));
        assertThat(entries(results, "classPath")).allSatisfy(JvmCdsTest::jarsFirst);

        // A later run maps it from the start; a damaged one is not mapped, and no test notices.
        EngineExecutionResults again = Kit.run(Three.class, Map.of("sandboxed.jvm.cds.dir", dir.toString(),
                "sandboxed.jvm.options", OPTIONS));
        Kit.succeeded(again, 3);
        assertThat(entries(again, "shared")).containsExactly("true", "true", "true");
        assertThat(entries(again, "lambdaShared")).as("lambda classes archived too").containsExactly("true", "true", "true");
        Files.delete(archive);
        Files.write(archive, new byte[64 << 10]);
        EngineExecutionResults damaged = Kit.run(Three.class, Map.of("sandboxed.jvm.cds.dir", dir.toString(),
                "sandboxed.jvm.options", OPTIONS));
        Kit.succeeded(damaged, 3);
        assertThat(entries(damaged, "shared")).containsExactly("false", "false", "false");
        assertThat(entries(damaged, "lambdaShared")).containsExactly("false", "false", "false");
        assertThat(entries(damaged, "sandboxed.jvm.cds")).containsOnly(archive.toString());
        Kit.assertNothingLeft(List.of());
    }

    @Test
    void offKeepsTheClassPathAndMakesNoArchive(@TempDir Path dir) {
        EngineExecutionResults results = Kit.run(Three.class, Map.of("sandboxed.jvm.cds.dir", dir.toString(),
                "sandboxed.jvm.options", OPTIONS, "sandboxed.jvm.cds", "off"));
        Kit.succeeded(results, 3);
        assertThat(entries(results, "sandboxed.jvm.cds")).containsOnly("off");
        assertThat(entries(results, "shared")).containsOnly("false");
        assertThat(dir).isEmptyDirectory();
        List<String> parent = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        assertThat(entries(results, "classPath")).allSatisfy(cp -> assertThat(Arrays.asList(cp.split(File.pathSeparator)))
                .startsWith(parent.toArray(String[]::new)));
    }

    @Test
    void badModeIsRefusedNamingIt() {
        EngineExecutionResults results = Kit.run(Three.class, Map.of("sandboxed.jvm.cds", "always"));
        results.testEvents().assertStatistics(s -> s.failed(3));
        assertThat(results.testEvents().failed().stream().map(e -> e.getRequiredPayload(TestExecutionResult.class)
                .getThrowable().orElseThrow())).allSatisfy(t -> assertThat(t).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessage("invalid sandboxed.jvm.cds: 'always' is not a mode; expected auto (a class-data archive of the "
                        + "class path's jars, made once) or off"));
        Kit.assertNothingLeft(List.of());
    }

    private static void jarsFirst(String classPath) {
        List<String> entries = Arrays.asList(classPath.split(File.pathSeparator));
        int firstDirectory = (int) entries.stream().takeWhile(e -> Files.isRegularFile(Path.of(e))).count();
        assertThat(entries.subList(firstDirectory, entries.size())).as("after the jars, in " + classPath)
                .noneMatch(e -> Files.isRegularFile(Path.of(e)));
        assertThat(firstDirectory).as("jars in " + classPath).isPositive();
    }

    private static List<Path> archives(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    private static List<String> entries(EngineExecutionResults results, String key) {
        return results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getRequiredPayload(ReportEntry.class).getKeyValuePairs()).filter(e -> e.containsKey(key))
                .map(e -> e.get(key)).toList();
    }
}
