package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * An init whose descriptor table would fill up with forwarded connections refuses the excess instead, so the
 * descriptors of the next exec still fit. The limit is lowered for a child JVM only (the init inherits it).
 */
@RequiresSandbox
class PortForwardingDescriptorLimitTest {

    @Test
    void connectionsBeyondTheInitsDescriptorsAreRefusedAndExecStillWorks(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        RuntimeConfig.fromSystemProperties().cgroupParent()
                .ifPresent(parent -> command.add("-D" + RuntimeConfig.CGROUP_PARENT_PROPERTY + "=" + parent));
        command.add("-Dsandboxed.publish.bypass=off"); // the relay's descriptors: a bypassed server takes none
        command.add(LowNofileJvmMain.class.getName());
        command.add("400"); // 400 connections would take 2400 descriptors of the init's 1024
        String line = String.join(" ", command.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder("sh", "-c", "ulimit -n 1024 && exec " + line).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            boolean ended = child.waitFor(240, TimeUnit.SECONDS);
            String out = Files.readString(log);
            assertThat(ended).as("child JVM ended: " + out).isTrue();
            assertThat(out).contains("SERVER listening", "REFUSED true", "EXEC alive", "STATE RUNNING", "DONE");
            assertThat(child.exitValue()).as(out).isZero();
        } finally {
            child.destroyForcibly();
        }
    }
}
