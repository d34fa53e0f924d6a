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
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Bind mounts, tmpfs mounts, a read-only root and a directory root filesystem. */
@RequiresSandbox
class MountsTest {

    @Test
    void tmpAndShmAreSizedFromTheMemoryLimitSoFillingThemGivesEnospc() {
        SandboxSpec spec = SandboxSpec.builder().memory(64L << 20).build();
        ExecResult r = Sandbox.run(spec, ProcessSpec.of("sh", "-c",
                "grep -E ' /(tmp|dev/shm) ' /proc/mounts; head -c 40000000 /dev/zero > /tmp/f; echo rc=$?"));
        assertThat(r.stdout()).contains("/tmp tmpfs").contains("size=32768k").contains("size=16384k").contains("rc=1");
        assertThat(r.stderr()).contains("No space left on device");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void writableBindIsSharedWithTheHost(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "from host");
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().bindWritable(dir.toString(), "/work").build())) {
            ExecResult r = s.exec("sh", "-c", "cat /work/in.txt && echo from sandbox > /work/out.txt");
            assertThat(r.stdout()).isEqualTo("from host");
        }
        assertThat(Files.readString(dir.resolve("out.txt"))).isEqualTo("from sandbox\n");
    }

    @Test
    void readOnlyBindRefusesWrites(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("data"), "keep");
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().bindReadOnly(dir.toString(), "/data").build())) {
            ExecResult r = s.exec("sh", "-c", "echo changed > /data/data");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("Read-only file system");
            assertThat(s.exec("cat", "/data/data").stdout()).isEqualTo("keep");
        }
        assertThat(Files.readString(dir.resolve("data"))).isEqualTo("keep");
    }

    @Test
    void bindSourcesUnderTheSandboxsFreshDirectoriesAreTheHosts() throws Exception {
        // /tmp (and /run) are made afresh in the sandbox: a source there must still be the host's directory.
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "sandboxed-bindsrc");
        Path run = null;
        try {
            Files.writeString(dir.resolve("seen"), "host file");
            SandboxSpec.Builder b = SandboxSpec.builder().bindReadOnly(dir.toString(), "/data")
                    .bindReadOnly(dir.toString(), dir.toString());
            if (Files.isWritable(Path.of("/run"))) {
                run = Files.createTempDirectory(Path.of("/run"), "sandboxed-bindsrc");
                Files.writeString(run.resolve("seen"), "host run file");
                b.bindReadOnly(run.toString(), run.toString());
            }
            try (Sandbox s = Sandbox.start(b.build())) {
                assertThat(s.exec("cat", "/data/seen").stdout()).isEqualTo("host file");
                assertThat(s.exec("cat", dir.resolve("seen").toString()).stdout()).isEqualTo("host file");
                if (run != null) {
                    assertThat(s.exec("cat", run.resolve("seen").toString()).stdout()).isEqualTo("host run file");
                }
                // The rest of /tmp stays the sandbox's own.
                assertThat(s.exec("sh", "-c", "ls -A /tmp | wc -l").stdout().trim()).isEqualTo("1");
            }
        } finally {
            for (Path d : run == null ? new Path[] {dir} : new Path[] {dir, run}) {
                Files.deleteIfExists(d.resolve("seen"));
                Files.deleteIfExists(d);
            }
        }
    }

    @Test
    void bindTargetsAreCreatedInsideTheSandboxOnly(@TempDir Path dir) {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().bindReadOnly(dir.toString(), "/mnt/deep/new/dir").build())) {
            assertThat(s.exec("test", "-d", "/mnt/deep/new/dir").exitCode()).isZero();
        }
        assertThat(Path.of("/mnt/deep")).doesNotExist();
        // Under a read-only host directory no mount point can be made: the spec is refused up front, saying why.
        assertThatThrownBy(() -> Sandbox.start(SandboxSpec.builder().bindReadOnly(dir.toString(), "/opt/deep/new/dir").build()))
                .isInstanceOf(SpecException.class)
                .hasMessageStartingWith("mounts.bind.target: '/opt/deep/new/dir' does not exist on the host")
                .hasMessageContaining("/opt is the host's, read-only");
        assertThat(Path.of("/opt/deep")).doesNotExist();
        // A directory that exists on the host is a fine mount point, and so is anything below an earlier mount.
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().tmpfs("/opt", 0).bindReadOnly(dir.toString(), "/opt/deep/dir").build())) {
            assertThat(s.exec("test", "-d", "/opt/deep/dir").exitCode()).isZero();
        }
    }

    @Test
    void tmpfsHasItsSizeLimit() {
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().tmpfs("/scratch", 1 << 20).build())) {
            ExecResult fits = s.exec("sh", "-c", "head -c 500000 /dev/zero > /scratch/a");
            assertThat(fits.exitCode()).isZero();
            ExecResult full = s.exec("sh", "-c", "head -c 2000000 /dev/zero > /scratch/b");
            assertThat(full.exitCode()).isNotZero();
            assertThat(full.stderr()).contains("No space left on device");
        }
    }

    @Test
    void readOnlyRootRefusesNewTopLevelFiles() {
        try (Sandbox rw = Sandbox.start(SandboxSpec.defaults());
                Sandbox ro = Sandbox.start(SandboxSpec.builder().readOnlyRoot(true).build())) {
            assertThat(rw.exec("touch", "/new-file").exitCode()).isZero();
            ExecResult r = ro.exec("touch", "/new-file");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("Read-only file system");
            // /tmp stays writable in a read-only root.
            assertThat(ro.exec("touch", "/tmp/ok").exitCode()).isZero();
        }
    }

    @Test
    void directoryRootFilesystem(@TempDir Path root) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        Assumptions.assumeTrue(Files.isExecutable(busybox),
                "busybox-static is not installed (apt-get install busybox-static); .ci/run installs it");
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.copy(busybox, bin.resolve("busybox"));
        Files.createSymbolicLink(bin.resolve("sh"), Path.of("busybox"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().rootfs(RootFs.directory(root))
                .env("PATH", "/bin").build())) {
            ExecResult r = s.exec("sh", "-c", "busybox ls / | tr '\\n' ' '; busybox cat /etc/passwd");
            assertThat(r.exitCode()).as(r.tail(5)).isZero();
            assertThat(r.stdout()).contains("bin", "etc", "proc", "dev", "tmp").contains("root:x:0:0");
            assertThat(s.exec("sh", "-c", "busybox ls /usr").exitCode()).isNotZero();
        }
    }

    @Test
    void symlinkInRootfsCannotRedirectAMountOntoTheHost(@TempDir Path root) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")),
                "busybox-static is not installed (apt-get install busybox-static); .ci/run installs it");
        Path outside = Files.createTempDirectory("sandboxed-outside");
        try {
            Files.createDirectories(root.resolve("bin"));
            Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
            // A hostile rootfs: /mnt points at a host directory by absolute path.
            Files.createSymbolicLink(root.resolve("mnt"), outside);
            // Resolved inside the root, the link leads nowhere: the start fails instead of mounting on the host.
            assertThatThrownBy(() -> Sandbox.start(SandboxSpec.builder().rootfs(RootFs.directory(root))
                    .tmpfs("/mnt/x", 0).env("PATH", "/bin").build()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageStartingWith("open mount point /mnt/x for tmpfs");
            assertThat(outside.resolve("x")).doesNotExist();
        } finally {
            Files.deleteIfExists(outside.resolve("x"));
            Files.deleteIfExists(outside);
        }
    }
}
