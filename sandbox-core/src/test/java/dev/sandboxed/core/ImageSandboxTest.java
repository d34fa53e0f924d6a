package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TestRegistry;

/** Sandboxes whose root is an image pulled from the test registry: overlayfs over the cached layers. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageSandboxTest {
    @TempDir
    static Path cache;
    static Image image;

    @BeforeAll
    static void pull() {
        TestRegistry registry = TestRegistry.get();
        image = Images.builder().cacheDirectory(cache).build().pull(registry.host() + "/test/busybox:1");
    }

    private static ExecResult run(SandboxSpec spec, String script) {
        return Sandbox.run(spec, ProcessSpec.of("/bin/sh", "-c", script));
    }

    @Test
    void theImagesDefaultCommandRunsWithItsConfig() {
        SandboxSpec spec = SandboxSpec.builder().image(image).build();
        assertThat(spec.workdir()).isEqualTo("/work");
        assertThat(spec.userName()).as("looked up in the image's /etc/passwd at start").contains("app");
        ExecResult r = Sandbox.run(spec, ProcessSpec.builder(image.config().command(Optional.empty(), List.of())).build());
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("default-cmd\n/work\n999\n");
    }

    @Test
    void filesEnvAndTheUsualEtcFiles() {
        SandboxSpec spec = SandboxSpec.builder().image(image).user(UserSpec.ROOT).env("EXTRA", "x").build();
        ExecResult r = run(spec, "echo $GREETING $PATH $EXTRA; cat /work/greeting; test -e /etc/removed || echo removed-gone;"
                + " cat /etc/hostname; grep -c localhost /etc/hosts; test -L /bin/sh && echo link");
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        assertThat(r.stdout()).isEqualTo("hi /bin x\nhello from the image\nremoved-gone\nsandbox\n2\nlink\n");
    }

    @Test
    void writesGoToTheSandboxesOwnLayerAndVanishWithIt() throws Exception {
        SandboxSpec spec = SandboxSpec.builder().image(image).user(UserSpec.ROOT).build();
        ExecResult write = run(spec, "echo changed > /work/greeting && rm /bin/vi && mkdir /new && cat /work/greeting");
        assertThat(write.succeeded()).as(write.toString()).isTrue();
        assertThat(write.stdout()).isEqualTo("changed\n");
        ExecResult fresh = run(spec, "cat /work/greeting; test -e /new || echo no-new; test -L /bin/vi && echo vi");
        assertThat(fresh.stdout()).isEqualTo("hello from the image\nno-new\nvi\n");
        Path greeting = image.layers().get(0).resolve("work/greeting");
        assertThat(Files.readString(greeting)).isEqualTo("hello from the image\n");
    }

    @Test
    void theHardeningStays() {
        SandboxSpec spec = SandboxSpec.builder().image(image).user(UserSpec.ROOT).build();
        ExecResult r = run(spec, "grep Seccomp: /proc/self/status; grep NoNewPrivs /proc/self/status; ls /dev | tr '\\n' ' '; echo;"
                + " cat /proc/kcore | wc -c; echo x > /proc/sys/kernel/hostname 2>/dev/null || echo ro-proc-sys");
        assertThat(r.stdout()).contains("Seccomp:\t2", "NoNewPrivs:\t1", "null", "urandom", "ro-proc-sys").doesNotContain("sda");
        assertThat(r.stdout()).contains("\n0\n"); // /proc/kcore masked
    }

    @Test
    void aReadOnlyRootRefusesWrites() {
        SandboxSpec spec = SandboxSpec.builder().image(image).user(UserSpec.ROOT).readOnlyRoot(true).build();
        ExecResult r = run(spec, "touch /x 2>&1 || echo refused; echo ok > /tmp/t && cat /tmp/t");
        assertThat(r.stdout()).contains("refused").endsWith("ok\n");
    }
}
