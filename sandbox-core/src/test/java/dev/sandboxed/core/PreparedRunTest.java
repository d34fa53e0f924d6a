package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.control.ControlServer;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * {@link SandboxRuntime#run} sets up the next sandbox of a spec ahead: the next run of the spec takes it, it is as
 * fresh as one set up then would be, and it is never used once the host state it was made from changed.
 */
@RequiresSandbox
class PreparedRunTest {

    @Test
    void theNextRunTakesTheSandboxSetUpAheadAndFindsItFresh() {
        SandboxSpec spec = SandboxSpec.builder().hostname("ahead").env("MARK", "1").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            assertThat(runtime.run(spec, sh("echo left > /tmp/marker")).exitCode()).isZero();
            for (int i = 1; i <= 3; i++) {
                runtime.awaitIdle(); // the next one is set up
                ExecResult r = runtime.run(spec, sh("test -e /tmp/marker && echo dirty || echo clean; hostname;"
                        + " echo $MARK; echo err >&2; exit 3"));
                assertThat(r.stdout()).isEqualTo("clean\nahead\n1\n");
                assertThat(r.stderr()).isEqualTo("err\n");
                assertThat(r.exitCode()).isEqualTo(3);
                assertThat(runtime.preparedRunsTaken()).isEqualTo(i);
            }
            runtime.awaitIdle();
            assertThat(runtime.run(spec, ProcessSpec.of("/no/such/program")).exitCode()).isEqualTo(127);
            assertThat(runtime.preparedRunsTaken()).isEqualTo(4);
            assertThat(runtime.openSandboxes()).isEmpty();
            // Another spec never gets a sandbox set up for this one.
            assertThat(runtime.run(SandboxSpec.builder().hostname("other").build(), ProcessSpec.of("hostname")).stdout())
                    .isEqualTo("other\n");
            assertThat(runtime.preparedRunsTaken()).isEqualTo(4);
        }
    }

    @Test
    void aRunSeesABindSourceThatWasReplacedSinceTheSetUp(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("data"));
        Files.writeString(dir.resolve("old"), "");
        Path file = Files.writeString(tmp.resolve("config"), "first\n");
        SandboxSpec spec = SandboxSpec.builder().bindReadOnly(dir.toString(), "/data")
                .bindReadOnly(file.toString(), "/config").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            assertThat(runtime.run(spec, sh("ls /data; cat /config")).stdout()).isEqualTo("old\nfirst\n");
            runtime.awaitIdle();
            Files.delete(dir.resolve("old"));
            Files.delete(dir);
            Files.createDirectory(dir);
            Files.writeString(dir.resolve("new"), "");
            assertThat(runtime.run(spec, sh("ls /data; cat /config")).stdout()).isEqualTo("new\nfirst\n");
            runtime.awaitIdle();
            // An editor's save: a new file renamed over the old one.
            Files.move(Files.writeString(tmp.resolve("config.new"), "second\n"), file, StandardCopyOption.ATOMIC_MOVE);
            assertThat(runtime.run(spec, sh("ls /data; cat /config")).stdout()).isEqualTo("new\nsecond\n");
            assertThat(runtime.preparedRunsTaken()).isZero();
            runtime.awaitIdle();
            // Unchanged sources: the one set up ahead is used.
            assertThat(runtime.run(spec, sh("ls /data; cat /config")).stdout()).isEqualTo("new\nsecond\n");
            assertThat(runtime.preparedRunsTaken()).isEqualTo(1);
        }
    }

    @Test
    void aRunSeesAHostMountMadeSinceTheSetUp(@TempDir Path tmp) throws Exception {
        assumeTrue(OwnIds.uid() == 0, "mounting on the host needs root");
        Path dir = Files.createDirectories(tmp.resolve("data/sub"));
        SandboxSpec spec = SandboxSpec.builder().bindReadOnly(tmp.resolve("data").toString(), "/data").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            assertThat(runtime.run(spec, sh("ls /data/sub")).stdout()).isEmpty();
            runtime.awaitIdle();
            host("mount", "-t", "tmpfs", "-o", "size=1m", "prepared-run-test", dir.toString());
            try {
                Files.writeString(dir.resolve("mounted"), "");
                assertThat(runtime.run(spec, sh("ls /data/sub")).stdout()).isEqualTo("mounted\n");
                assertThat(runtime.preparedRunsTaken()).isZero();
            } finally {
                host("umount", dir.toString());
            }
        }
    }

    @Test
    void aRunGetsTheSeccompProfileFileAsItIsNow(@TempDir Path tmp) throws IOException {
        Path profile = tmp.resolve("profile.json");
        Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
        SandboxSpec spec = SandboxSpec.builder().seccomp(profile.toString()).build();
        ProcessSpec mkdir = sh("mkdir /tmp/d && echo made || echo refused");
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            assertThat(runtime.run(spec, mkdir).stdout()).isEqualTo("made\n");
            runtime.awaitIdle();
            Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\","
                    + " \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
            assertThat(runtime.run(spec, mkdir).stdout()).isEqualTo("refused\n");
            assertThat(runtime.preparedRunsTaken()).isZero();
        }
    }

    @Test
    void aRunGetsTheUserItsNameNamesNow(@TempDir Path root) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        assumeTrue(Files.isExecutable(busybox), "busybox-static is not installed; .ci/run installs it");
        assumeTrue(maps(1001), "the sandbox maps only uid 0 here (no subordinate ids)");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x")); // uid 1000 gets in
        Files.createDirectories(root.resolve("bin"));
        Files.copy(busybox, root.resolve("bin/busybox"));
        Path etc = Files.createDirectories(root.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "app:x:1000:1000::/:/bin/sh\n");
        SandboxSpec spec = SandboxSpec.builder().rootfs(RootFs.directory(root)).user("app").build();
        ProcessSpec id = ProcessSpec.of("/bin/busybox", "id", "-u");
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            assertThat(runtime.run(spec, id).stdout()).isEqualTo("1000\n");
            runtime.awaitIdle();
            // As useradd and vipw do: a new file renamed over the old one (the root itself stays the same node).
            Files.move(Files.writeString(etc.resolve("passwd+"), "app:x:1001:1001::/:/bin/sh\n"), etc.resolve("passwd"),
                    StandardCopyOption.ATOMIC_MOVE);
            assertThat(runtime.run(spec, id).stdout()).isEqualTo("1001\n");
            assertThat(runtime.preparedRunsTaken()).isZero();
        }
    }

    @Test
    void aRunHidesTheHomeDirectoryTheJvmHasNow() {
        String home = System.getProperty("user.home");
        // Two host directories with files (neither needed by sh), each in turn the JVM's home, which hideHome hides.
        ProcessSpec count = sh("echo $(ls /usr/share/doc | wc -l) $(ls /etc/default | wc -l)");
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            System.setProperty("user.home", "/usr/share/doc");
            String first = runtime.run(SandboxSpec.defaults(), count).stdout();
            assumeTrue(first.startsWith("0 "), "a home outside /home and /root is hidden where the host allows: " + first);
            assertThat(first).doesNotStartWith("0 0");
            runtime.awaitIdle();
            System.setProperty("user.home", "/etc/default");
            assertThat(runtime.run(SandboxSpec.defaults(), count).stdout()).endsWith(" 0\n").doesNotStartWith("0 ");
            assertThat(runtime.preparedRunsTaken()).isZero();
        } finally {
            System.setProperty("user.home", home);
        }
    }

    private static boolean maps(int uid) {
        try {
            return Sandbox.run(SandboxSpec.builder().user(Integer.toString(uid)).build(), ProcessSpec.of("true"))
                    .exitCode() == 0;
        } catch (SpecException notMapped) {
            return false;
        }
    }

    @Test
    void aSandboxSetUpAheadIsListedForOperationsOnlyOnceARunTakesIt() {
        SandboxSpec spec = SandboxSpec.builder().hostname("listed").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            runtime.run(spec, ProcessSpec.of("true"));
            runtime.awaitIdle();
            String id = runtime.preparedForRuns().get(0).id();
            assertThat(ControlServer.shared().isRegistered(id)).isFalse(); // `sandboxed exec` there would hang
            CompletableFuture<ExecResult> run = CompletableFuture.supplyAsync(
                    () -> runtime.run(spec, sh("echo $$; while ! test -e /tmp/go; do sleep 0.05; done")));
            assertThat(Probes.eventually(10, () -> ControlServer.shared().isRegistered(id))).isTrue();
            Sandbox taken = runtime.openSandboxes().iterator().next();
            assertThat(taken.id()).isEqualTo(id);
            assertThat(taken.mainProcess()).isPresent();
            taken.exec("touch", "/tmp/go");
            ExecResult r = run.join();
            assertThat(r.stdout()).isEqualTo("2\n"); // its process is the first after the init, as in a fresh one
            assertThat(runtime.preparedRunsTaken()).isEqualTo(1);
            assertThat(ControlServer.shared().isRegistered(id)).isFalse();
        }
    }

    @Test
    void aSandboxWhoseInitDiedMeanwhileIsNotUsed() {
        SandboxSpec spec = SandboxSpec.builder().hostname("killed").build();
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            runtime.run(spec, ProcessSpec.of("true"));
            runtime.awaitIdle();
            List<Sandbox> ready = runtime.preparedForRuns();
            assertThat(ready).hasSize(1);
            int init = ready.get(0).pid();
            ProcessHandle.of(init).ifPresent(ProcessHandle::destroyForcibly);
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(init))).isTrue();
            ExecResult r = runtime.run(spec, ProcessSpec.of("hostname"));
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo("killed\n");
            assertThat(runtime.preparedRunsTaken()).isZero();
        }
    }

    @Test
    void closingTheRuntimeRemovesTheSandboxSetUpAhead(@TempDir Path stateDir) {
        // No cgroups made ahead: the state directory then holds only the sandbox set up ahead.
        SandboxRuntime runtime = SandboxRuntime.create(
                new RuntimeConfig(Optional.of(stateDir.toString()), Optional.empty(), false, 0));
        assertThat(runtime.run(SandboxSpec.defaults(), ProcessSpec.of("true")).exitCode()).isZero();
        runtime.awaitIdle();
        assertThat(entries(stateDir)).isEqualTo(1);
        int init = runtime.preparedForRuns().get(0).pid();
        runtime.close();
        assertThat(entries(stateDir)).isZero();
        assertThat(Probes.processAlive(init)).isFalse();
    }

    @Test
    void switchedOffNothingIsSetUpAhead(@TempDir Path stateDir) {
        try (SandboxRuntime runtime = SandboxRuntime.create(
                new RuntimeConfig(Optional.of(stateDir.toString()), Optional.empty(), false, 0).withPrepareRuns(false))) {
            runtime.run(SandboxSpec.defaults(), ProcessSpec.of("true"));
            runtime.awaitIdle();
            assertThat(entries(stateDir)).isZero();
            runtime.run(SandboxSpec.defaults(), ProcessSpec.of("true"));
            assertThat(runtime.preparedRunsTaken()).isZero();
        }
    }

    @Test
    void theSettingIsOnByDefaultAndTakesOnlyTrueOrFalse() {
        assertThat(RuntimeConfig.from(k -> Optional.empty()).prepareRuns()).isTrue();
        assertThat(RuntimeConfig.from(k -> Optional.ofNullable(Map.of(RuntimeConfig.PREPARE_RUNS_PROPERTY, " FALSE").get(k)))
                .prepareRuns()).isFalse();
        assertThatThrownBy(() -> RuntimeConfig.from(k -> Optional.ofNullable(
                Map.of(RuntimeConfig.PREPARE_RUNS_PROPERTY, "maybe").get(k))))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining("sandboxed.run.prepareAhead").hasMessageContaining("allowed: true, false");
        assertThatThrownBy(() -> RuntimeConfig.from(k -> Optional.ofNullable(
                Map.of(RuntimeConfig.PRESTART_PROPERTY, "yes").get(k))))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining("sandboxed.prestart").hasMessageContaining("allowed: true, false");
    }

    private static ProcessSpec sh(String script) {
        return ProcessSpec.of("sh", "-c", script);
    }

    private static void host(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }

    private static long entries(Path dir) {
        try (var s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
