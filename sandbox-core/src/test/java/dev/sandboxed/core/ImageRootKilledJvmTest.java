package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.spec.ImageRootMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.spec.WritableLayer;
import dev.sandboxed.core.testing.LeftBehind;
import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * kill -9 of a JVM with a fuse-overlayfs sandbox and a copied one on a disk layer (written to by uid 999): the inits and
 * the fuse daemon die with it, no mount stays on the host, and the next runtime removes the disk layer.
 */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageRootKilledJvmTest {
    @TempDir
    static Path work;
    static Image image;

    @BeforeAll
    static void build() throws Exception {
        image = ImageRootModesTest.ImageRootFixture.pull(work);
    }

    @AfterAll
    static void removeImage() {
        if (image != null) {
            ImageRootModesTest.ImageRootFixture.images(work).remove(ImageRootModesTest.ImageRootFixture.source(work));
        }
    }

    @Test
    void nothingOfTheImageRootsSurvivesAKilledOwner(@TempDir Path stateDir) throws Exception {
        var mountsBefore = Probes.hostMountPoints();
        Process owner = OwnerJvm.start(stateDir, Owner.class, work.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream()))) {
            List<Long> inits = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                if (line.startsWith("SANDBOX ")) {
                    inits.add(Long.parseLong(line.split(" ")[1]));
                    ids.add(line.split(" ")[2]);
                }
            }
            assertThat(line).as("child JVM output until it was ready").isEqualTo("READY");
            Optional<Long> daemon = ImageRootModesTest.ImageRootFixture.fuseDaemonOf(inits.get(0));
            assertThat(daemon).as("the fuse sandbox's daemon").isPresent();
            Path diskLayer = ImageRootModesTest.ImageRootFixture.diskLayers().resolve(ids.get(1));
            assertThat(diskLayer).isDirectory();

            owner.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Probes.eventually(10, () -> inits.stream().noneMatch(Probes::processAlive)
                    && !Probes.processAlive(daemon.get()))).as("inits and fuse-overlayfs die with their JVM").isTrue();
            assertThat(Probes.hostMountPoints()).isEqualTo(mountsBefore);
            assertThat(diskLayer).as("left until a runtime cleans up").isDirectory();
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
            assertThat(diskLayer).doesNotExist();
        } finally {
            owner.destroyForcibly();
        }
    }

    /** The child JVM: a fuse-overlayfs sandbox, then a copy on a disk layer, each running until the JVM is killed. */
    public static final class Owner {
        private Owner() {
        }

        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            Image pulled = ImageRootModesTest.ImageRootFixture.images(dir).pull(ImageRootModesTest.ImageRootFixture.source(dir));
            SandboxSpec fuse = SandboxSpec.builder().image(pulled).user(UserSpec.ROOT)
                    .imageRootMode(ImageRootMode.FUSE_OVERLAYFS).build();
            SandboxSpec copy = SandboxSpec.builder().image(pulled).user(new UserSpec(999, 999))
                    .imageRootMode(ImageRootMode.COPY).writableLayer(WritableLayer.disk()).build();
            for (SandboxSpec spec : List.of(fuse, copy)) {
                Sandbox s = Sandbox.start(spec);
                s.exec("/bin/sh", "-c", "echo row > /data/pg/table; mkdir -p /data/pg/d && chmod 000 /data/pg/d");
                s.spawn(ProcessSpec.of("sleep", "300"));
                System.out.println("SANDBOX " + s.pid() + " " + s.id());
            }
            System.out.println("READY");
            System.out.flush();
            Thread.sleep(300_000);
        }
    }
}
