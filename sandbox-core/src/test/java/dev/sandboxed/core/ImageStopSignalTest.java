package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.image.StopSignals;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TestRegistry;

/** Sandbox.stop sends the image's StopSignal (set with umoci), which a shell trap in the sandbox receives. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageStopSignalTest {
    @TempDir
    static Path work;
    static Image image;

    @BeforeAll
    static void build() throws Exception {
        ImageRootModesTest.ImageRootFixture.pull(work);
        String layout = work.resolve("layout").toString();
        TestRegistry.run("umoci", "config", "--image", layout + ":modes", "--tag", "stop", "--config.stopsignal", "SIGUSR1");
        image = ImageRootModesTest.ImageRootFixture.images(work).pull("oci:" + layout + ":stop");
    }

    @AfterAll
    static void removeImage() {
        Images images = ImageRootModesTest.ImageRootFixture.images(work);
        images.remove(ImageRootModesTest.ImageRootFixture.source(work)); // rootless, only the store can remove layers
        if (image != null) {
            images.remove(image.source());
        }
    }

    @Test
    void stopSendsTheImagesStopSignal(@TempDir Path out) throws Exception {
        assertThat(image.config().stopSignal()).isEqualTo("SIGUSR1");
        SandboxSpec spec = SandboxSpec.builder().image(image).user(UserSpec.ROOT).bindWritable(out.toString(), "/out").build();
        Sandbox sandbox = Sandbox.start(spec);
        try {
            sandbox.spawn(ProcessSpec.of("/bin/sh", "-c", "trap 'echo got-usr1 > /out/signal; exit 0' USR1;"
                    + " trap 'echo got-term > /out/signal; exit 0' TERM; echo ready > /out/ready;"
                    + " while true; do sleep 0.1; done"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(out.resolve("ready")) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            sandbox.stop(Duration.ofSeconds(10));
        } finally {
            sandbox.close();
        }
        assertThat(Files.readString(out.resolve("signal"))).isEqualTo("got-usr1\n");
    }

    @Test
    void stopSignalsAreReadAsDockerReadsThem() {
        assertThat(StopSignals.parse("SIGUSR1")).isEqualTo(OptionalInt.of(10));
        assertThat(StopSignals.parse("int")).isEqualTo(OptionalInt.of(2));
        assertThat(StopSignals.parse("9")).isEqualTo(OptionalInt.of(9));
        assertThat(StopSignals.parse("SIGRTMIN+3")).isEqualTo(OptionalInt.of(37));
        assertThat(StopSignals.parse("SIGNOPE")).isEmpty();
        assertThat(StopSignals.parse("99")).isEmpty();
        assertThat(StopSignals.parse("")).isEmpty();
    }
}
