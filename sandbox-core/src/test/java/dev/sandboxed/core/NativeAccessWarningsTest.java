package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * A fresh JVM on Java 22+ starts a real sandbox: libc goes through the JDK's foreign function API, no jnr-ffi or jffi
 * class is loaded, and the JDK prints no warning (no JNI load, no {@code sun.misc.Unsafe}) once native access is
 * granted, the one flag the README documents; without it the FFM restricted-method notice is the only one.
 */
@RequiresSandbox
class NativeAccessWarningsTest {
    private static final String FLAG = "--enable-native-access=ALL-UNNAMED";

    @TempDir
    Path dir;

    @BeforeEach
    void java22WithTheFfmImplementation() {
        Assumptions.assumeTrue(Runtime.version().feature() >= 22,
                "Java " + Runtime.version().feature() + ": jnr-ffi makes the libc calls before Java 22");
        Assumptions.assumeTrue(NativeAccessWarningsTest.class.getClassLoader()
                .getResource("dev/sandboxed/core/internal/os/FfmLibC.class") != null,
                "the core was built by a JDK before 22: it holds no FFM implementation");
    }

    @Test
    void noWarningAndNoJnrClassWithNativeAccessGranted() throws Exception {
        Child child = run(true);
        assertThat(child.stdout).as(child.toString()).contains("RESULT 0 ran", "FFI ffm");
        assertThat(child.stdout).as("classes loaded").filteredOn(l -> l.contains("[class,load]"))
                .isNotEmpty()
                .noneMatch(l -> l.contains("] jnr.") || l.contains("] com.kenai.jffi."));
        assertThat(child.stderr).as("stderr of " + child.command).noneMatch(l -> l.contains("WARNING"));
    }

    @Test
    void withoutTheFlagTheFfmNoticeIsTheOnlyWarning() throws Exception {
        Child child = run(false);
        assertThat(child.stdout).as(child.toString()).contains("RESULT 0 ran", "FFI ffm");
        List<String> warnings = child.stderr.stream().filter(l -> l.startsWith("WARNING")).toList();
        assertThat(warnings).as("stderr of " + child.command).hasSize(4);
        assertThat(warnings.get(0)).isEqualTo("WARNING: A restricted method in java.lang.foreign.Linker has been called");
        assertThat(warnings.get(1)).contains("dev.sandboxed.core.internal.os.FfmLibC");
        assertThat(warnings.get(2)).contains(FLAG);
        assertThat(child.stderr).noneMatch(l -> l.contains("sun.misc.Unsafe") || l.contains("java.lang.System::load"));
    }

    private record Child(List<String> command, List<String> stdout, List<String> stderr) {
    }

    private Child run(boolean nativeAccess) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (nativeAccess) {
            command.add(FLAG);
        }
        command.addAll(List.of("-Xlog:class+load=info:stdout", "-cp", System.getProperty("java.class.path")));
        RuntimeConfig.fromSystemProperties().cgroupParent()
                .ifPresent(parent -> command.add("-D" + RuntimeConfig.CGROUP_PARENT_PROPERTY + "=" + parent));
        command.add(NativeAccessJvmMain.class.getName());
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        Child child = new Child(command, Files.readAllLines(out), Files.readAllLines(err));
        assertThat(p.exitValue()).as("exit status; stderr: " + child.stderr).isZero();
        return child;
    }
}
