package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * The shaded {@code sandboxed.jar} as {@code java -jar} runs it: it carries natives only for Linux x86_64 and aarch64
 * (the platforms sandbox-init is built for), and those load. Run by the {@code shaded-jar} Surefire execution in the
 * verify phase, after the jar is made; the default test run, before it exists, skips it.
 */
class ShadedJarTest {
    /** Native libraries of any platform, as jffi and zstd-jni name them. */
    private static final Pattern NATIVE = Pattern.compile(".*\\.(so|dll|dylib|jnilib|a)");
    private static final List<String> WANTED = List.of("jni/x86_64-Linux/libjffi-\\S+\\.so",
            "jni/aarch64-Linux/libjffi-\\S+\\.so", "linux/amd64/libzstd-jni-\\S+\\.so",
            "linux/aarch64/libzstd-jni-\\S+\\.so");

    private static Path jar;

    @BeforeAll
    static void locateJar() {
        String configured = System.getProperty("sandboxed.cli.jar");
        assumeTrue(configured != null, "the shaded jar is checked in the verify phase (execution shaded-jar)");
        jar = Path.of(configured);
        assertThat(jar).as("the shaded CLI jar").isRegularFile();
    }

    @Test
    void carriesNativesOnlyForLinuxX8664AndAarch64() throws IOException {
        List<String> natives = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            zip.stream().map(ZipEntry::getName).filter(n -> NATIVE.matcher(n).matches()).forEach(natives::add);
        }
        assertThat(natives).as("native libraries in %s", jar).hasSize(WANTED.size());
        for (String wanted : WANTED) {
            assertThat(natives).as("natives in %s", jar).anyMatch(n -> n.matches(wanted));
        }
    }

    @Test
    void enablesNativeAccessForJavaMinusJar() throws IOException {
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            assertThat(jarFile.getManifest().getMainAttributes().getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
            // The core's FFM libc is a versioned entry, used on Java 22+ only when the jar says it is multi-release.
            assertThat(jarFile.getManifest().getMainAttributes().getValue("Multi-Release")).isEqualTo("true");
        }
    }

    @Test
    void zstdLoadsItsNativeFromTheJar(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("ZstdRoundTrip.java");
        Files.writeString(source, """
                public class ZstdRoundTrip {
                    public static void main(String[] args) {
                        byte[] data = "sandboxed sandboxed sandboxed".getBytes();
                        byte[] back = com.github.luben.zstd.Zstd.decompress(com.github.luben.zstd.Zstd.compress(data),
                                data.length);
                        System.out.print(new String(back));
                    }
                }
                """);
        Result r = java("-cp", jar.toString(), source.toString());
        assertThat(r.code).as(r.stderr).isZero();
        assertThat(r.stdout).isEqualTo("sandboxed sandboxed sandboxed");
    }

    @Test
    @RequiresSandbox
    void doctorAndRunWorkFromTheJar() throws Exception {
        Result doctor = java("-jar", jar.toString(), "doctor");
        assertThat(doctor.code).as(doctor.stdout + doctor.stderr).isZero();
        assertThat(doctor.stdout).contains("sandboxes can run on this host");
        Result run = java("-jar", jar.toString(), "run", "--", "sh", "-c", "echo hello from $(cat /proc/1/comm)");
        assertThat(run.code).as(run.stderr).isZero();
        assertThat(run.stdout).isEqualTo("hello from sandbox-init\n");
        // On Java 22+ the manifest's Enable-Native-Access keeps the FFM downcalls (jffi's System.load when the core
        // was built by a JDK before 22) from warning; with the FFM classes in the jar there is no warning at all.
        assertThat(run.stderr).doesNotContain("restricted method");
        boolean ffm;
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            ffm = jarFile.getEntry("META-INF/versions/22/dev/sandboxed/core/internal/os/FfmLibC.class") != null;
        }
        if (ffm && Runtime.version().feature() >= 22) {
            assertThat(run.stderr).doesNotContain("WARNING");
        }
    }

    private record Result(int code, String stdout, String stderr) {
    }

    /** This JVM's java with ARGS, passing on a configured cgroup parent as a user of the CLI would. */
    private static Result java(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String parent = System.getProperty("sandboxed.cgroup.parent", "");
        if (!parent.isEmpty()) {
            command.add("-Dsandboxed.cgroup.parent=" + parent);
        }
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("shaded-jar-test", ".stderr");
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(stderr.toFile()).start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ends", command).isTrue();
            return new Result(p.exitValue(), stdout, Files.readString(stderr));
        } finally {
            Files.delete(stderr);
        }
    }
}
