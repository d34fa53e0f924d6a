package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Host device nodes bound into a sandbox's /dev, and the ones refused. */
@RequiresSandbox
class DevicesTest {

    @Test
    void fuseIsBoundAsTheHostsNodeAndOpensInside() {
        bindsAndOpens(Device.FUSE, "a:e5");
    }

    @Test
    void tunIsBoundAsTheHostsNodeAndOpensInside() {
        bindsAndOpens(Device.TUN, "a:c8");
    }

    private static void bindsAndOpens(String path, String hexNumbers) {
        Path host = Path.of(path);
        Assumptions.assumeTrue(Files.exists(host), path + " does not exist on this host");
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().device(Device.named(path)).build())) {
            ExecResult stat = s.exec("stat", "-c", "%F %t:%T", path);
            assertThat(stat.stdout().trim()).isEqualTo("character special file " + hexNumbers);
            // A bind keeps the host node's mode and owner: a rootless sandbox opens only what its user may.
            Assumptions.assumeTrue(Files.isReadable(host) && Files.isWritable(host),
                    path + " is bound, but this user may not open the host's node (its mode and owner stay the host's)");
            ExecResult open = s.exec("sh", "-c", "exec 3<>" + path + " && echo opened");
            assertThat(open.stdout()).as(open.stderr()).isEqualTo("opened\n");
        }
    }

    @Test
    void aDeviceWithAnotherPathInsideAppearsThere() {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().device(Device.parse("/dev/null:/dev/other-null:c:1:3"))
                .build())) {
            assertThat(s.exec("sh", "-c", "echo x > /dev/other-null && stat -c '%F %t:%T' /dev/other-null")
                    .stdout().trim()).isEqualTo("character special file 1:3");
        }
    }

    @Test
    void aRegularFileIsRefusedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("fake-fuse"), "");
        assertThatThrownBy(() -> Device.parse(file + ":/dev/fuse:c:10:229"))
                .isInstanceOf(SpecException.class)
                .hasMessage("devices.hostPath: '" + file + "' is a regular file, not the device c 10:229; name the device"
                        + " node itself");
    }

    @Test
    void aSymbolicLinkIsRefused(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("null"), Path.of("/dev/null"));
        assertThatThrownBy(() -> Device.parse(link + ":/dev/null2:c:1:3"))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining("is a symbolic link, not the device c 1:3");
    }

    @Test
    void aWrongMajorMinorIsRefused() {
        assertThatThrownBy(() -> Device.parse("/dev/null:c:1:5"))
                .isInstanceOf(SpecException.class)
                .hasMessage("devices.hostPath: '/dev/null' is c 1:3, not the claimed c 1:5");
        assertThatThrownBy(() -> Device.parse("/dev/null:b:1:3"))
                .isInstanceOf(SpecException.class)
                .hasMessage("devices.hostPath: '/dev/null' is c 1:3, not the claimed b 1:3");
    }

    @Test
    void anUnknownNamedDeviceNamesTheAllowedOnes() {
        assertThatThrownBy(() -> Device.parse("/dev/kvm"))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining("'/dev/kvm' is not a named device; allowed: /dev/fuse, /dev/net/tun");
    }

    /** The node checked when the spec was built is checked again by the init, which follows no link to it. */
    @Test
    void aNodeSwappedForALinkAfterTheCheckFailsTheStart(@TempDir Path dir) throws Exception {
        Path decoys = Files.createDirectory(dir.resolve("decoys"));
        Files.createSymbolicLink(decoys.resolve("null"), Path.of("/dev/zero"));
        Path via = Files.createSymbolicLink(dir.resolve("dev"), Path.of("/dev"));
        SandboxSpec spec = SandboxSpec.builder().device(Device.parse(via.resolve("null") + ":/dev/checked:c:1:3")).build();
        Files.delete(via);
        Files.createSymbolicLink(via, decoys);
        assertThatThrownBy(() -> Sandbox.start(spec))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("device " + via.resolve("null") + " is a symbolic link, not the device c 1:3");
    }
}
