package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.control.KeeperClient;
import dev.sandboxed.core.internal.os.Fd;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.runtime.ExecProfile;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.LeftBehind;
import dev.sandboxed.core.testing.OwnerJvm;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.TestRegistry;

/** sandboxed.keep.afterJvm: a kept sandbox outlives its JVM, held by a keeper, until rm or its maxAge. */
@RequiresSandbox
class KeepAfterJvmTest {
    private static final int SIGCONT = 18;
    private static final int SIGSTOP = 19;

    /** What the child JVM printed: the sandbox's init pid and id. */
    private record Kept(int initPid, String id) {
    }

    private static Kept keepInChild(Process owner) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8));
        int pid = 0;
        String id = null;
        String line;
        StringBuilder all = new StringBuilder();
        while ((line = out.readLine()) != null && !line.startsWith("KEPT")) {
            all.append(line).append('\n');
            if (line.startsWith("SANDBOX ")) {
                pid = Integer.parseInt(line.split(" ")[1]);
                id = line.split(" ")[2];
            }
        }
        assertThat(line).as("child JVM output: %s", all).isNotNull();
        assertThat(line).as("its sandbox is no longer the child's once handed over").isEqualTo("KEPT CLOSED");
        return new Kept(pid, id);
    }

    private static SandboxState state(Path stateDir, String id) {
        return LeftBehind.in(stateDir).states().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    private static RuntimeConfig config(Path stateDir) {
        return new RuntimeConfig(Optional.of(stateDir.toString()), RuntimeConfig.fromSystemProperties().cgroupParent(),
                false, 0);
    }

    /** Runs a shell script in the kept sandbox through its keeper: its status and its stdout and stderr. */
    private static String exec(Path stateDir, SandboxState state, String script, int expectedExit) {
        int[] pipe = Native.pipe("output");
        int stdin = Native.open("/dev/null", Native.O_RDONLY, 0, "stdin");
        ExitStatus status;
        try (KeeperClient keeper = KeeperClient.connect(state)) {
            ExecProfile profile = ExecProfile.read(new StateDirectory(stateDir).execProfile(state.id()));
            status = keeper.exec(profile, ProcessSpec.of("sh", "-c", script), new int[] {stdin, pipe[1], pipe[1]}, signals -> {
            }).status();
        } finally {
            Native.close(stdin);
            Native.close(pipe[1]);
        }
        try (var in = Native.adoptInput(pipe[0])) {
            String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(status.exitCode()).as("exit of `%s` (output: %s)", script, output).isEqualTo(expectedExit);
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("try") // creating the next runtime is the act under test
    @Test
    void keptSandboxOutlivesItsJvmUntilRemoved(@TempDir Path stateDir) throws Exception {
        Set<String> mountsBefore = Probes.hostMountPoints();
        Process owner = OwnerJvm.start(stateDir, KeepOwnerJvmMain.class, "after", "1h", "exit");
        try {
            Kept kept = keepInChild(owner);
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(owner.exitValue()).isZero();

            SandboxState state = state(stateDir, kept.id());
            assertThat(state.keptAfterJvm()).isTrue();
            assertThat(state.ownerPid()).as("the keeper owns it now").isNotEqualTo(owner.pid());
            assertThat(Probes.processAlive(state.ownerPid())).isTrue();
            assertThat(Probes.processAlive(kept.initPid())).as("its init outlived the JVM").isTrue();
            String stat = Files.readString(Path.of("/proc", Long.toString(state.ownerPid()), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertThat(List.of(fields[2], fields[3])).as("the keeper's process group and session (%s)", stat)
                    .containsOnly(Long.toString(state.ownerPid()));
            assertThat(KeeperClient.alive(state)).isTrue();
            SandboxState reused = new SandboxState(state.id(), state.ownerPid(), state.initPid(), state.initStartTime(),
                    state.cgroups(), state.createdAt(), state.spec(), state.keeperStartTime() + 1, state.keptUntil(),
                    state.command(), state.limits(), state.poststop());
            assertThat(KeeperClient.alive(reused)).as("a process that is not the keeper the entry names").isFalse();

            // Its processes run on; a process from outside gets the spec's environment.
            assertThat(exec(stateDir, state, "cat /proc/[0-9]*/comm 2>/dev/null; echo KEPT=$KEPT", 0)).contains("sleep", "KEPT=yes");
            assertThat(exec(stateDir, state, "exit 3", 3)).isEmpty();
            String count = "for f in /tmp/ticks-*; do wc -l < $f; done"; // only the numbers: wc aligns them
            String ticks = exec(stateDir, state, count, 0);
            assertThat(ticks.lines()).hasSize(KeepOwnerJvmMain.WRITERS);
            assertThat(Probes.eventually(10, () -> {
                List<String> now = exec(stateDir, state, count, 0).lines().toList();
                List<String> before = ticks.lines().toList();
                return now.size() == before.size()
                        && IntStream.range(0, now.size()).allMatch(i -> !now.get(i).equals(before.get(i)));
            })).as("every process writing to its stdout pipe runs on: the keeper drains all their pipes").isTrue();

            // What confines its processes is what the JVM handed the keeper, not what the entry's exec.json says.
            Path profile = new StateDirectory(stateDir).execProfile(state.id());
            ObjectNode json = (ObjectNode) new ObjectMapper().readTree(profile.toFile());
            json.put("capabilities", -1L).putNull("seccomp").put("notifyErrno", -1);
            Files.write(profile, new ObjectMapper().writeValueAsBytes(json));
            assertThat(exec(stateDir, state, "grep -E '^(CapEff|Seccomp):' /proc/self/status", 0))
                    .isEqualTo("CapEff:\t00000000a80425fb\nSeccomp:\t2\n");

            // Not older than its maxAge: the next runtime leaves it alone.
            try (SandboxRuntime next = SandboxRuntime.create(config(stateDir))) {
                assertThat(stateDir.resolve(kept.id())).exists();
            }
            assertThat(Probes.processAlive(kept.initPid())).isTrue();

            try (KeeperClient keeper = KeeperClient.connect(state)) {
                keeper.signalAll(Native.SIGKILL);
            }
            assertThat(Probes.eventually(10, () -> !exec(stateDir, state, "cat /proc/[0-9]*/comm 2>/dev/null; exit 0", 0)
                    .contains("sleep"))).as("kill reached its processes").isTrue();

            try (KeeperClient keeper = KeeperClient.connect(state)) {
                keeper.remove(new StateDirectory(stateDir));
            }
            assertThat(stateDir.resolve(kept.id())).doesNotExist();
            assertThat(state.cgroups()).allSatisfy(c -> assertThat(Path.of(c)).doesNotExist());
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(kept.initPid())
                    && !Probes.processAlive(state.ownerPid()))).as("init and keeper gone").isTrue();
            assertThat(Probes.hostMountPoints()).isEqualTo(mountsBefore);
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    @Test
    void theBindListenerOfAKeptSandboxIsTheHandedOverProfiles(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, KeepOwnerJvmMain.class, "after-bypass", "1h", "exit");
        try {
            Kept kept = keepInChild(owner);
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
            SandboxState state = state(stateDir, kept.id());
            // Its filter sends bind(2) to the init for the bypass: without the listener for it, bind fails.
            String bind = "python3 -c \"import socket; s = socket.socket(); s.bind(('0.0.0.0', 8080)); print('bound')\"";
            assertThat(exec(stateDir, state, bind, 0)).isEqualTo("bound\n");
            Path profile = new StateDirectory(stateDir).execProfile(state.id());
            ObjectNode json = (ObjectNode) new ObjectMapper().readTree(profile.toFile());
            assertThat(json.get("notifyBind").asBoolean()).as("the bypass is on: %s", json).isTrue();
            Files.write(profile, new ObjectMapper().writeValueAsBytes(json.put("notifyBind", false)));
            assertThat(exec(stateDir, state, bind, 0)).as("a client that leaves the listener out").isEqualTo("bound\n");
            try (KeeperClient keeper = KeeperClient.connect(state)) {
                keeper.remove(new StateDirectory(stateDir));
            }
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir);
        }
    }

    @Test
    void aKeptSandboxKeepsItsImageFromPrunesUntilRemoved(@TempDir Path stateDir, @TempDir Path cache) throws Exception {
        String source = "oci:" + TestRegistry.get().layout() + ":busybox";
        Images images = Images.builder().cacheDirectory(cache).build();
        Image busybox = images.pull(source);
        Process owner = OwnerJvm.start(stateDir, KeepImageOwnerJvmMain.class, cache.toString(), source);
        try {
            Kept kept = keepInChild(owner);
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
            SandboxState state = state(stateDir, kept.id());
            // Its JVM, which held the image's use lock, is gone: the keeper holds it now.
            assertThat(images.prune(0).removedImages()).isEmpty();
            assertThat(busybox.layers()).allSatisfy(dir -> assertThat(dir).isDirectory());
            assertThat(exec(stateDir, state, "/bin/busybox echo from-the-image", 0)).isEqualTo("from-the-image\n");

            try (KeeperClient keeper = KeeperClient.connect(state)) {
                keeper.remove(new StateDirectory(stateDir));
            }
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(state.ownerPid()))).isTrue();
            assertThat(images.prune(0).removedImages()).as("released with its keeper").containsExactly(source);
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    @Test
    void keptSandboxSurvivesKill9OfItsJvmAndDiesWithItsKeeper(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, KeepOwnerJvmMain.class, "after", "1h", "wait");
        try {
            Kept kept = keepInChild(owner);
            owner.destroyForcibly();
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();
            SandboxState state = state(stateDir, kept.id());
            assertThat(exec(stateDir, state, "echo alive", 0)).isEqualTo("alive\n");

            Native.kill((int) state.ownerPid(), Native.SIGKILL); // the keeper: the init's socket closes with it
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(kept.initPid()))).as("init ends").isTrue();
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    @Test
    void keptSandboxOlderThanMaxAgeIsRemovedByTheNextRuntime(@TempDir Path stateDir, @TempDir Path hooks)
            throws Exception {
        Path hook = hooks.resolve("poststop.sh");
        Files.writeString(hook, "#!/bin/sh\ncat > " + hooks.resolve("poststop.json") + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        Process owner = OwnerJvm.start(stateDir, KeepOwnerJvmMain.class, "after", "1s", "exit", hook.toString());
        try {
            Kept kept = keepInChild(owner);
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
            SandboxState state = state(stateDir, kept.id());
            Instant until = Instant.parse(state.keptUntil());
            while (Instant.now().isBefore(until)) {
                Thread.sleep(Math.max(1, Duration.between(Instant.now(), until).toMillis()));
            }
            assertThat(Probes.processAlive(state.ownerPid())).as("its keeper waits for a runtime to remove it").isTrue();
            assertThat(hooks.resolve("poststop.json")).as("no poststop hook while kept").doesNotExist();
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(kept.initPid())
                    && !Probes.processAlive(state.ownerPid()))).as("init and keeper gone").isTrue();
            // The clean-up ran its poststop hook, as its JVM would have: the OCI state, stopped, on stdin.
            String stopped = Files.readString(hooks.resolve("poststop.json"));
            assertThat(stopped).contains("\"id\":\"" + kept.id() + "\"", "\"status\":\"stopped\"")
                    .doesNotContain("\"pid\"");
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    @SuppressWarnings("try") // the network is only joined
    @Test
    void aSandboxOnARuntimeNetworkIsKeptOnlyUntilItsJvmExits(@TempDir Path stateDir) {
        try (SandboxRuntime runtime = SandboxRuntime.create(config(stateDir).withKeepAfterJvm(true, Duration.ofHours(1)));
                Network net = runtime.createNetwork("kept");
                Sandbox member = runtime.start(SandboxSpec.builder().joinNetwork("kept").build())) {
            member.keep(); // its network lives in this JVM's server: refused, with one warning
            assertThat(member.state()).isEqualTo(Sandbox.State.RUNNING);
            assertThat(member.isKept()).isTrue();
            assertThat(state(stateDir, member.id()).keptAfterJvm()).isFalse();
            assertThat(member.exec("true").exitCode()).isZero();
        }
        LeftBehind.in(stateDir).assertRemovedByNextRuntime();
    }

    @Test
    void badSettingsAreRefusedNamingTheProperty() {
        assertThatThrownBy(() -> RuntimeConfig.from(key -> key.equals(RuntimeConfig.KEEP_MAX_AGE_PROPERTY)
                ? Optional.of("soon") : Optional.empty()))
                .isInstanceOf(SpecException.class).hasMessageStartingWith("sandboxed.keep.maxAge: 'soon' is not a duration");
        assertThatThrownBy(() -> RuntimeConfig.from(key -> key.equals(RuntimeConfig.KEEP_AFTER_JVM_PROPERTY)
                ? Optional.of("yes") : Optional.empty()))
                .isInstanceOf(SpecException.class).hasMessage("sandboxed.keep.afterJvm: 'yes'; allowed: true, false");
        assertThat(RuntimeConfig.from(key -> Optional.empty()).keepAfterJvm()).as("off by default").isFalse();
    }

    /**
     * One round of the keeper's loop can see a client hang up while its process's end arrives, and a new client
     * connect: the end's delivery fails and frees the client's slot, and the new client must not be read on the old
     * one's readiness (a blocking read of a client that has sent nothing would stall every other client).
     */
    @SuppressWarnings("try") // the silent client's being connected is the act under test
    @Test
    void aClientThatHangsUpAsItsProcessEndsLeavesTheKeeperServingOthers(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, KeepOwnerJvmMain.class, "after", "1h", "exit");
        int keeper = 0;
        try {
            Kept kept = keepInChild(owner);
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
            SandboxState state = state(stateDir, kept.id());
            keeper = (int) state.ownerPid();
            ExecProfile profile = ExecProfile.read(new StateDirectory(stateDir).execProfile(state.id()));

            int[] input = Native.pipe("input");
            try (Fd inputEnd = new Fd(input[1], "input"); // the process ends once this is closed
                    KeeperClient first = KeeperClient.connect(state)) {
                int[] pipe = Native.pipe("output");
                Thread waiting = new Thread(() -> {
                    try {
                        first.exec(profile, ProcessSpec.of("sh", "-c", "echo started; read line"),
                                new int[] {input[0], pipe[1], pipe[1]}, signals -> {
                                });
                    } catch (RuntimeException hungUp) {
                        // closed below while its process runs
                    } finally {
                        Native.close(pipe[1]); // the output's end: read below sees EOF once the process has ended
                        Native.close(input[0]);
                    }
                });
                waiting.start();
                var output = new InputStreamReader(Native.adoptInput(pipe[0]), StandardCharsets.UTF_8);
                try (var said = new BufferedReader(output)) {
                    assertThat(said.readLine()).isEqualTo("started");

                    // While the keeper is stopped: the first client hangs up, its process ends, a silent client
                    // connects. The keeper then sees all three in one round.
                    assertThat(Native.kill(keeper, SIGSTOP)).isTrue();
                    first.close();
                    waiting.join(10_000);
                    inputEnd.close(); // once: closing again does nothing
                    assertThat(said.readLine()).as("the process has ended").isNull();
                }
            }
            Thread.sleep(500); // for the init to report the end to the stopped keeper
            try (KeeperClient silent = KeeperClient.connect(state)) {
                Native.kill(keeper, SIGCONT);
                CompletableFuture<String> next =
                        CompletableFuture.supplyAsync(() -> exec(stateDir, state, "echo served", 0));
                assertThat(next).as("a client after them is served while the silent one stays connected")
                        .succeedsWithin(Duration.ofSeconds(10))
                        .isEqualTo("served\n");
            }
            try (KeeperClient keeperClient = KeeperClient.connect(state)) {
                keeperClient.remove(new StateDirectory(stateDir));
            }
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            if (keeper > 0) {
                Native.kill(keeper, SIGCONT);
            }
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }

    @Test
    void withoutTheSettingAKeptSandboxEndsWithItsJvm(@TempDir Path stateDir) throws Exception {
        Process owner = OwnerJvm.start(stateDir, KeepOwnerJvmMain.class, "jvm", "1h", "exit");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = out.lines().toList();
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(lines).as("child output").contains("KEPT RUNNING");
            int initPid = lines.stream().filter(l -> l.startsWith("SANDBOX ")).map(l -> Integer.parseInt(l.split(" ")[1]))
                    .findFirst().orElseThrow();
            assertThat(Probes.eventually(10, () -> !Probes.processAlive(initPid))).as("init ends with its JVM").isTrue();
            LeftBehind.in(stateDir).assertRemovedByNextRuntime();
        } finally {
            OwnerJvm.killAndCleanUp(owner, stateDir); // also after a failure
        }
    }
}
