package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * The OCI lifecycle hooks: each stage runs where the runtime spec says, in order, with the state JSON on stdin;
 * timeouts; failures fatal before the sandbox is ready and reported after.
 */
@RequiresSandbox
class HooksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Not under /tmp: before pivot_root the new root is staged there, so a createContainer hook cannot see it. */
    private Path dir;

    @BeforeEach
    void makeDirectory() throws IOException {
        // Not under /tmp (where a clone of the project may live): createContainer hooks run while the sandbox's
        // root is assembled on /tmp, so they cannot see the host's /tmp (README, "Lifecycle hooks").
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "sandboxed-hooks-test");
    }

    @AfterEach
    void removeDirectory() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A hook script: appends its stage to {@code order}, its stdin goes to STAGE.json, then {@code more}. */
    private String script(String stage, String inside, String more) throws IOException {
        Path file = dir.resolve(stage + ".sh");
        String base = inside == null ? dir.toString() : inside;
        Files.writeString(file, "#!/bin/sh\necho " + stage + " >> " + base + "/order\ncat > " + base + "/" + stage
                + ".json\n" + more + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return (inside == null ? dir.toString() : inside) + "/" + stage + ".sh";
    }

    private Hook hook(Hook.Stage stage, String inside, String more) throws IOException {
        return Hook.of(stage, script(stage.ociName(), inside, more)).withEnv("PATH=/usr/bin:/bin");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> state(String stage) throws IOException {
        return JSON.readValue(dir.resolve(stage + ".json").toFile(), Map.class);
    }

    @Test
    void everyStageRunsInOrderWhereOciSaysWithItsState() throws Exception {
        String hostUserNs = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        SandboxSpec spec = SandboxSpec.builder()
                .bindWritable(dir.toString(), "/hooks")
                .hook(hook(Hook.Stage.PRESTART, null, "readlink /proc/self/ns/user > " + dir + "/prestart.ns"))
                .hook(hook(Hook.Stage.CREATE_RUNTIME, null, ""))
                // Before pivot_root: the host's paths, the sandbox's namespaces.
                .hook(hook(Hook.Stage.CREATE_CONTAINER, null, "readlink /proc/self/ns/user > " + dir
                        + "/createContainer.ns; readlink /proc/self/ns/mnt > " + dir + "/createContainer.mnt; hostname > "
                        + dir + "/createContainer.hostname"))
                // After pivot_root: the path and everything it touches are the sandbox's.
                .hook(hook(Hook.Stage.START_CONTAINER, "/hooks", "hostname > /hooks/startContainer.hostname;"
                        + " readlink /proc/self/ns/mnt > /hooks/startContainer.mnt; echo $$ > /hooks/startContainer.pid"))
                .hook(hook(Hook.Stage.POSTSTART, null, ""))
                .hook(hook(Hook.Stage.POSTSTOP, null, ""))
                .build();
        String id;
        int pid;
        try (Sandbox sandbox = Sandbox.start(spec)) {
            id = sandbox.id();
            pid = sandbox.pid();
            assertThat(Files.readAllLines(dir.resolve("order")))
                    .containsExactly("prestart", "createRuntime", "createContainer", "startContainer", "poststart");
            String sandboxMnt = sandbox.exec("readlink", "/proc/self/ns/mnt").stdout().trim();
            assertThat(Files.readString(dir.resolve("createContainer.mnt")).trim()).isEqualTo(sandboxMnt);
            assertThat(Files.readString(dir.resolve("startContainer.mnt")).trim()).isEqualTo(sandboxMnt);
            // Its pid in the sandbox's pid namespace, where the init is 1 and nothing else ran before it.
            assertThat(Integer.parseInt(Files.readString(dir.resolve("startContainer.pid")).trim())).isLessThan(10);
        }
        assertThat(Files.readAllLines(dir.resolve("order"))).endsWith("poststart", "poststop").hasSize(6);
        Map<String, String> statuses = Map.of("prestart", "creating", "createRuntime", "creating", "createContainer",
                "creating", "startContainer", "created", "poststart", "running", "poststop", "stopped");
        for (var e : statuses.entrySet()) {
            Map<String, Object> state = state(e.getKey());
            assertThat(state).as(e.getKey()).containsEntry("ociVersion", "1.2.0").containsEntry("id", id)
                    .containsEntry("status", e.getValue()).containsKeys("bundle", "annotations");
            assertThat((String) state.get("bundle")).as(e.getKey()).endsWith(id);
            if (e.getKey().equals("poststop")) {
                assertThat(state).doesNotContainKey("pid");
            } else {
                assertThat(state).as(e.getKey()).containsEntry("pid", pid);
            }
        }
        assertThat(Files.readString(dir.resolve("prestart.ns")).trim()).isEqualTo(hostUserNs);
        assertThat(Files.readString(dir.resolve("createContainer.ns")).trim()).isNotEqualTo(hostUserNs);
        assertThat(Files.readString(dir.resolve("createContainer.hostname")).trim()).isEqualTo("sandbox");
        assertThat(Files.readString(dir.resolve("startContainer.hostname")).trim()).isEqualTo("sandbox");
    }

    @ParameterizedTest
    @EnumSource(value = Hook.Stage.class, names = {"PRESTART", "CREATE_RUNTIME", "CREATE_CONTAINER", "START_CONTAINER"})
    void aFailingHookBeforeReadyFailsTheStartAndPoststopStillRuns(Hook.Stage stage) throws Exception {
        String inside = stage == Hook.Stage.START_CONTAINER ? "/hooks" : null;
        Hook failing = hook(stage, inside, "echo first line; echo oops from " + stage.ociName() + " >&2; exit 3");
        SandboxSpec spec = SandboxSpec.builder().bindWritable(dir.toString(), "/hooks").hook(failing)
                .hook(hook(Hook.Stage.POSTSTART, null, "")).hook(hook(Hook.Stage.POSTSTOP, null, "")).build();
        assertThatThrownBy(() -> Sandbox.start(spec))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining(stage.ociName() + " hook " + failing.path() + ": exit status 3; output: first line"
                        + " oops from " + stage.ociName());
        assertThat(Files.readAllLines(dir.resolve("order"))).endsWith(stage.ociName(), "poststop")
                .doesNotContain("poststart");
    }

    @Test
    void aRuntimeHookPastItsTimeoutIsKilledAndFailsTheStart() throws Exception {
        Hook slow = hook(Hook.Stage.CREATE_RUNTIME, null, "echo $$ > " + dir + "/pid; exec sleep 60")
                .withTimeout(Duration.ofMillis(300));
        SandboxSpec spec = SandboxSpec.builder().hook(slow).build();
        assertThatThrownBy(() -> Sandbox.start(spec))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("createRuntime hook " + slow.path() + ": timed out after 300 ms (killed)");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).trim());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void aHookInTheSandboxPastItsTimeoutIsKilledAndFailsTheStart() throws Exception {
        Hook slow = hook(Hook.Stage.START_CONTAINER, "/hooks", "exec sleep 60").withTimeout(Duration.ofMillis(300));
        SandboxSpec spec = SandboxSpec.builder().bindWritable(dir.toString(), "/hooks").hook(slow).build();
        assertThatThrownBy(() -> Sandbox.start(spec))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("startContainer hook /hooks/startContainer.sh: timed out after 300 ms (killed)");
    }

    @Test
    void failingPoststartAndPoststopHooksAreReportedNotFatal() throws Exception {
        SandboxSpec spec = SandboxSpec.builder()
                .hook(hook(Hook.Stage.POSTSTART, null, "echo late >&2; exit 4"))
                .hook(hook(Hook.Stage.POSTSTOP, null, "exit 5"))
                .build();
        Sandbox sandbox = Sandbox.start(spec);
        try {
            assertThat(sandbox.exec("true").exitCode()).isZero();
            assertThat(sandbox.hookFailures()).containsExactly("poststart hook " + dir + "/poststart.sh: exit status 4;"
                    + " output: late");
        } finally {
            sandbox.close();
        }
        assertThat(sandbox.hookFailures()).hasSize(2).last().asString()
                .isEqualTo("poststop hook " + dir + "/poststop.sh: exit status 5; no output");
    }

    @Test
    void aOneShotSandboxRunsItsHooksAroundTheCommand() throws Exception {
        SandboxSpec spec = SandboxSpec.builder().bindWritable(dir.toString(), "/hooks")
                .hook(hook(Hook.Stage.CREATE_RUNTIME, null, ""))
                .hook(hook(Hook.Stage.START_CONTAINER, "/hooks", ""))
                .hook(hook(Hook.Stage.POSTSTOP, null, "")).build();
        assertThat(Sandbox.run(spec, ProcessSpec.of("sh", "-c", "echo main >> /hooks/order")).exitCode()).isZero();
        assertThat(Files.readAllLines(dir.resolve("order")))
                .isEqualTo(List.of("createRuntime", "startContainer", "main", "poststop"));
    }

    @Test
    void withoutAMountNamespaceTheSandboxHooksRunWhereThePivotWouldBe() throws Exception {
        SandboxSpec spec = SandboxSpec.builder().withoutNamespace(Namespace.PID).withoutNamespace(Namespace.MOUNT)
                .hook(hook(Hook.Stage.CREATE_CONTAINER, null, "")).hook(hook(Hook.Stage.START_CONTAINER, null, ""))
                .build();
        try (Sandbox sandbox = Sandbox.start(spec)) {
            assertThat(Files.readAllLines(dir.resolve("order"))).containsExactly("createContainer", "startContainer");
            assertThat(state("startContainer")).containsEntry("status", "created").containsEntry("pid", sandbox.pid());
        }
    }

    @Test
    void aSandboxSharingAnothersNetworkRunsItsOwnHooks() throws Exception {
        try (Sandbox first = Sandbox.start(SandboxSpec.defaults());
                Sandbox second = first.startSharingNetwork(SandboxSpec.builder()
                        .hook(hook(Hook.Stage.CREATE_CONTAINER, null, "")).build())) {
            assertThat(Files.readAllLines(dir.resolve("order"))).containsExactly("createContainer");
            assertThat(state("createContainer")).containsEntry("id", second.id());
        }
    }
}
