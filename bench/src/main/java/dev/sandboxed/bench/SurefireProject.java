package dev.sandboxed.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A small Maven project in a temp dir with {@code tests} classes of one trivial JUnit Jupiter test each, run by real
 * Maven Surefire with {@code forkCount=1}, offline ({@code mvn -o}): it needs only what the local repository holds.
 * One test per class, since Surefire's {@code reuseForks=false} forks a JVM per test class: so every test gets its
 * own fresh JVM, as each gets its own sandboxed JVM with {@code jvm = true}.
 */
final class SurefireProject implements AutoCloseable {
    static final String JUNIT = "5.14.1";
    static final String SUREFIRE = "3.5.2";
    private static final String COMPILER = "3.13.0";
    private static final String RESOURCES = "3.3.1";
    private static final long TIMEOUT_MINUTES = 30;
    private static final Pattern TESTCASE = Pattern.compile("<testcase ");
    private static final Pattern BAD = Pattern.compile("<(failure|error|skipped)[ >/]");

    private final Path dir;
    private final int tests;

    private SurefireProject(Path dir, int tests) {
        this.dir = dir;
        this.tests = tests;
    }

    /** Writes the project and compiles its tests ({@code mvn -o test-compile}), so a timed run only runs them. */
    static SurefireProject create(int tests) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("sandboxed-bench-surefire");
        SurefireProject project = new SurefireProject(dir, tests);
        try {
            Files.writeString(dir.resolve("pom.xml"), pom(), StandardCharsets.UTF_8);
            Path pkg = Files.createDirectories(dir.resolve("src/test/java/bench"));
            for (int i = 0; i < tests; i++) {
                String name = className(i);
                Files.writeString(pkg.resolve(name + ".java"), "package bench;\n\nclass " + name
                        + " {\n    @org.junit.jupiter.api.Test\n    void trivial() {\n    }\n}\n", StandardCharsets.UTF_8);
            }
            project.mvn("test-compile");
            return project;
        } catch (IOException | InterruptedException | RuntimeException e) {
            project.close();
            throw e;
        }
    }

    /**
     * Wall time of {@code mvn -o surefire:test} with this {@code reuseForks}, in ms: Maven's start, Surefire's forks
     * and the tests. Fails loudly unless Surefire's reports show every test passed.
     */
    double timed(boolean reuseForks) throws IOException, InterruptedException {
        deleteTree(dir.resolve("target/surefire-reports"));
        long t0 = System.nanoTime();
        mvn("surefire:test", "-DreuseForks=" + reuseForks);
        double ms = (System.nanoTime() - t0) / 1e6;
        checkReports();
        return ms;
    }

    /** The same with only the first {@code count} test classes (a warm-up of Maven, Surefire and the page cache). */
    void warmUp(int count) throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < Math.min(count, tests); i++) {
            names.add(className(i));
        }
        for (boolean reuse : new boolean[] {true, false}) {
            mvn("surefire:test", "-DreuseForks=" + reuse, "-Dtest=" + String.join(",", names));
        }
    }

    private void checkReports() throws IOException {
        int passed = 0;
        int bad = 0;
        try (Stream<Path> files = Files.list(dir.resolve("target/surefire-reports"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml"))::iterator) {
                String xml = Files.readString(f, StandardCharsets.UTF_8);
                passed += count(TESTCASE.matcher(xml));
                bad += count(BAD.matcher(xml));
            }
        }
        if (passed != tests || bad != 0) {
            throw new IllegalStateException("Surefire's reports: " + passed + " test cases of " + tests + ", " + bad
                    + " failed, errored or skipped");
        }
    }

    private static int count(Matcher m) {
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private void mvn(String... goals) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("mvn", "-o", "-B", "-q", "-Dstyle.color=never"));
        command.addAll(List.of(goals));
        Path log = dir.resolve("mvn.log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // Surefire forks this JDK's java, as the bench's own JVMs are.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        try {
            if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + TIMEOUT_MINUTES
                        + " minutes");
            }
        } finally {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
            }
        }
        if (p.exitValue() != 0) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue() + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
        }
    }

    private static String className(int i) {
        return String.format(Locale.ROOT, "T%04dTest", i);
    }

    private static String pom() {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>bench</groupId>
                  <artifactId>p6-surefire</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>org.junit.jupiter</groupId>
                      <artifactId>junit-jupiter</artifactId>
                      <version>%s</version>
                      <scope>test</scope>
                    </dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-compiler-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-resources-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-surefire-plugin</artifactId>
                        <version>%s</version>
                        <configuration>
                          <forkCount>1</forkCount>
                        </configuration>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(JUNIT, COMPILER, RESOURCES, SUREFIRE);
    }

    @Override
    public void close() throws IOException {
        deleteTree(dir);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
