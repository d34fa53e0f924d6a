package dev.sandboxed.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ImageRefTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void dockerHubDefaults() {
        ImageRef ref = ImageRef.parse("busybox");
        assertThat(ref.registry()).isEqualTo("docker.io");
        assertThat(ref.repository()).isEqualTo("library/busybox");
        assertThat(ref.tag()).contains("latest");
        assertThat(ref.toString()).isEqualTo("docker.io/library/busybox:latest");
        assertThat(ImageRef.parse("bitnami/redis:7").toString()).isEqualTo("docker.io/bitnami/redis:7");
        assertThat(ImageRef.parse("index.docker.io/library/busybox:1").toString()).isEqualTo("docker.io/library/busybox:1");
    }

    @Test
    void registriesWithPortsAndDigests() {
        ImageRef local = ImageRef.parse("localhost:5000/team/app:1.2");
        assertThat(local.registry()).isEqualTo("localhost:5000");
        assertThat(local.repository()).isEqualTo("team/app");
        assertThat(local.tag()).contains("1.2");
        ImageRef pinned = ImageRef.parse("127.0.0.1:5000/app@" + DIGEST);
        assertThat(pinned.registry()).isEqualTo("127.0.0.1:5000");
        assertThat(pinned.tag()).isEmpty();
        assertThat(pinned.digest()).contains(DIGEST);
        assertThat(pinned.manifestReference()).isEqualTo(DIGEST);
        ImageRef both = ImageRef.parse("ghcr.io/org/app:v1@" + DIGEST);
        assertThat(both.tag()).contains("v1");
        assertThat(both.manifestReference()).isEqualTo(DIGEST);
        assertThat(ImageRef.parse("[::1]:5000/app").registry()).isEqualTo("[::1]:5000");
    }

    @Test
    void badReferencesNameTheField() {
        assertThatThrownBy(() -> ImageRef.parse("")).hasMessageStartingWith("image.reference:");
        assertThatThrownBy(() -> ImageRef.parse("Busybox")).hasMessageStartingWith("image.name:");
        assertThatThrownBy(() -> ImageRef.parse("busybox:-x")).hasMessageStartingWith("image.tag:");
        assertThatThrownBy(() -> ImageRef.parse("busybox@sha256:123")).hasMessageStartingWith("image.digest:");
        assertThatThrownBy(() -> ImageRef.parse("bad_host.example:99999x/app")).hasMessageStartingWith("image.registry:");
        assertThatThrownBy(() -> ImageRef.parse("app//x")).hasMessageStartingWith("image.name:");
        assertThatThrownBy(() -> ImageRef.parse("a b")).hasMessageStartingWith("image.reference:");
        assertThatThrownBy(() -> ImageRef.parse("localhost:5000/")).hasMessageStartingWith("image.name:");
        assertThat(new ImageException("x").getMessage()).doesNotContain("\n");
    }

    @Test
    void sources() {
        assertThat(ImageSource.parse("busybox")).isEqualTo(new ImageSource.Registry(ImageRef.parse("busybox")));
        assertThat(ImageSource.parse("docker://localhost:5000/a")).isEqualTo(new ImageSource.Registry(ImageRef.parse("localhost:5000/a")));
        assertThat(ImageSource.parse("oci:/tmp/layout:v1")).isEqualTo(new ImageSource.OciLayout(Path.of("/tmp/layout"), Optional.of("v1")));
        assertThat(ImageSource.parse("oci:/tmp/layout")).isEqualTo(new ImageSource.OciLayout(Path.of("/tmp/layout"), Optional.empty()));
        assertThatThrownBy(() -> ImageSource.parse("ftp:x/y")).hasMessageStartingWith("image.transport:");
        assertThat(ImageSource.parse("docker-archive:/x.tar")).isEqualTo(new ImageSource.DockerArchive(Path.of("/x.tar"), Optional.empty()));
        assertThat(ImageSource.parse("docker-archive:/x.tar:app:1"))
                .isEqualTo(new ImageSource.DockerArchive(Path.of("/x.tar"), Optional.of("app:1")));
    }

    @Test
    void commandFollowsDockerRun() {
        ImageConfig config = new ImageConfig(List.of("/entry"), List.of("a", "b"), List.of(),
                "", "", Set.of(), Optional.empty(), "", Map.of());
        assertThat(config.command(Optional.empty(), List.of())).containsExactly("/entry", "a", "b");
        assertThat(config.command(Optional.empty(), List.of("c"))).containsExactly("/entry", "c");
        assertThat(config.command(Optional.of(List.of("/sh")), List.of())).containsExactly("/sh");
    }
}
