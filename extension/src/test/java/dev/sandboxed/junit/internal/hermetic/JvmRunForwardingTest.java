package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What of the parent's environment and command line a sandboxed JVM gets, and how its class path is written. */
class JvmRunForwardingTest {
    @Test
    void localeAndTimeZoneVariablesArePassedOnOnly() {
        Map<String, String> env = Map.of("LANG", "de_DE.UTF-8", "LANGUAGE", "de:en", "LC_ALL", "C.UTF-8", "LC_TIME",
                "en_GB.UTF-8", "TZ", "Europe/Berlin", "PATH", "/opt/bin", "HOME", "/home/u", "JAVA_HOME", "/opt/jdk",
                "LC_lower", "x", "XLANG", "y");
        assertThat(JvmRun.forwardedEnvironment(env)).containsExactly(Map.entry("LANG", "de_DE.UTF-8"),
                Map.entry("LANGUAGE", "de:en"), Map.entry("LC_ALL", "C.UTF-8"), Map.entry("LC_TIME", "en_GB.UTF-8"),
                Map.entry("TZ", "Europe/Berlin"));
    }

    @Test
    void theUsersJvmPropertiesArePassedOnButNotThoseOfTheLauncher() {
        List<String> args = List.of("--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-Duser.timezone=UTC",
                "-Dfile.encoding=UTF-8", "-Duser.language=de", "-Duser.country=DE", "-Djava.util.logging.config.file=l.p",
                "-Djdk.net.hosts.file=/etc/h", "-Dsun.stdout.encoding=UTF-8", "-Dline.separator=\n", "-Dempty=",
                "-Djava.class.path=/a.jar", "-Djava.home=/jdk", "-Djava.io.tmpdir=/var/tmp", "-Djdk.module.path=/m",
                "-Duser.dir=/w", "-Duser.home=/home/u", "-Duser.name=u", "-Dsurefire.real.class.path=/s.jar",
                "-Dbasedir=/w", "-Dsandboxed.jvm.child=true", "-Dsun.java.command=x", "-Dsun.jnu.encoding=UTF-8",
                "-Djava.security.manager=worker.org.gradle.Boot", "-Dorg.gradle.native=false", "-Didea.test=1", "-D",
                "-Duser.variant", "-XX:+UseG1GC", "-javaagent:/a.jar=-Duser.region=x");
        assertThat(JvmRun.forwardedOptions(args)).containsExactly("-Duser.timezone=UTC", "-Dfile.encoding=UTF-8",
                "-Duser.language=de", "-Duser.country=DE", "-Djava.util.logging.config.file=l.p",
                "-Djdk.net.hosts.file=/etc/h", "-Dsun.stdout.encoding=UTF-8", "-Dline.separator=\n", "-Duser.variant");
    }

    @Test
    void classPathArgumentFileQuotesWhatTheLauncherWouldSplitOrEscape(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cp.args");
        JvmRun.writeArgFile(file, List.of("/a b/x.jar", "/q\"uote\\d", "/#hash", "/'s"));
        assertThat(Files.readString(file, JvmRun.fileNameCharset()))
                .isEqualTo("-cp \"/a b/x.jar:/q\\\"uote\\\\d:/#hash:/'s\"\n");
        // The launcher reads it back as written (it shows a path property one entry a line).
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "@" + file,
                "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), JvmRun.fileNameCharset());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out.lines().map(String::strip)).as(out).containsSubsequence("java.class.path = /a b/x.jar",
                "/q\"uote\\d", "/#hash", "/'s");
    }
}
