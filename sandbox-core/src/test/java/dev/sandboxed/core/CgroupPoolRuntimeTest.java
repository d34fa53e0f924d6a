package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Cgroups made ahead on this host's real cgroups: taken by the next start, and removed with the runtime. */
@RequiresSandbox
class CgroupPoolRuntimeTest {

    @Test
    void theNextSandboxTakesACgroupMadeAheadAndCloseRemovesTheRest(@TempDir Path stateDir) throws Exception {
        RuntimeConfig config = new RuntimeConfig(Optional.of(stateDir.toString()),
                RuntimeConfig.fromSystemProperties().cgroupParent(), false, 2);
        SandboxSpec spec = SandboxSpec.builder().trackUsage(true).pids(50).build();
        List<Path> pooledDirs = new ArrayList<>();
        try (SandboxRuntime runtime = SandboxRuntime.create(config)) {
            CheckResult check = runtime.cgroups().check(spec.limits());
            if (check.status() != CheckResult.Status.OK) {
                System.err.println("SKIPPED cgroup pool test: " + check.render());
            }
            Assumptions.assumeTrue(check.status() == CheckResult.Status.OK, check::render);
            try (Sandbox first = runtime.start(spec)) {
                assertThat(first.cgroupDirectories()).isNotEmpty();
            }
            runtime.awaitIdle();
            List<SandboxState> pooled = pooledStates(stateDir);
            assertThat(pooled).hasSize(2);
            for (SandboxState s : pooled) {
                // The state names every directory the cgroup may have, recorded before they were made.
                s.cgroups().stream().map(Path::of).filter(Files::isDirectory).forEach(pooledDirs::add);
            }
            assertThat(pooledDirs).isNotEmpty().allMatch(Files::isDirectory);
            // Limits are written when the cgroup is made, not when it is taken.
            assertThat(pooledDirs).filteredOn(d -> Files.exists(d.resolve("pids.max")))
                    .allSatisfy(d -> assertThat(Files.readString(d.resolve("pids.max")).strip()).isEqualTo("50"));

            try (Sandbox next = runtime.start(spec)) {
                assertThat(pooled).extracting(SandboxState::id).contains(next.id());
                assertThat(next.cgroupDirectories()).allMatch(pooledDirs::contains);
                assertThat(next.exec("true").succeeded()).isTrue();
                assertThat(next.usage().pidsPeak()).isGreaterThanOrEqualTo(1);
            }
        }
        assertThat(pooledDirs).allSatisfy(d -> assertThat(d).doesNotExist());
        try (var left = Files.list(stateDir)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    /**
     * On v1 a process waits in each pooled cgroup (it moved itself there) and clones the next init there: that init
     * and its first process are inside from their first instruction, the parked process is gone before anything
     * runs (a pids limit of 2 leaves room for exactly the init and one process), and nothing stays behind.
     */
    @Test
    void onV1TheNextInitIsClonedInsideItsPooledCgroupByTheProcessParkedThere(@TempDir Path stateDir) throws Exception {
        RuntimeConfig config = new RuntimeConfig(Optional.of(stateDir.toString()),
                RuntimeConfig.fromSystemProperties().cgroupParent(), false, 1);
        SandboxSpec spec = SandboxSpec.builder().pids(2).memory(32L << 20).build();
        List<Path> pooledDirs = new ArrayList<>();
        long parkedPid;
        try (SandboxRuntime runtime = SandboxRuntime.create(config)) {
            CheckResult check = runtime.cgroups().check(spec.limits());
            Assumptions.assumeTrue(check.status() == CheckResult.Status.OK && runtime.cgroupVersion().equals("v1"),
                    () -> "needs v1 cgroups with pids and memory: " + check.render());
            assertThat(runtime.run(spec, ProcessSpec.of("true")).succeeded()).isTrue();
            runtime.awaitIdle();
            List<SandboxState> pooled = pooledStates(stateDir);
            assertThat(pooled).hasSize(1);
            pooled.get(0).cgroups().stream().map(Path::of).filter(Files::isDirectory).forEach(pooledDirs::add);
            List<Long> parked = awaitProcesses(pooledDirs.get(0));
            assertThat(parked).hasSize(1);
            parkedPid = parked.get(0);
            for (Path dir : pooledDirs) {
                assertThat(pids(dir)).containsExactly(parkedPid);
            }

            try (Sandbox next = runtime.start(spec)) {
                assertThat(next.cgroupDirectories()).containsExactlyInAnyOrderElementsOf(pooledDirs);
                for (Path dir : pooledDirs) {
                    assertThat(pids(dir)).containsExactly((long) next.pid());
                }
                assertThat(Path.of("/proc/" + parkedPid + "/status")).doesNotExist();
                assertThat(next.exec("true").succeeded()).isTrue(); // the init and this process: the limit of 2
                assertThat(next.exec("sh", "-c", "true").exitCode()).isEqualTo(0);
            }
            // The memory limit holds for a one-shot sandbox's first and only process.
            var hog = runtime.run(spec, ProcessSpec.of("tail", "/dev/zero"));
            assertThat(hog.exitReason()).as(hog.toString()).isEqualTo(ExitReason.OOM_KILLED);
        }
        assertThat(pooledDirs).allSatisfy(d -> assertThat(d).doesNotExist());
        try (var left = Files.list(stateDir)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    /**
     * A member of a per-test network (on a prepared slot as root, or plugged in at start when rootless) and a sandbox
     * sharing another's network start from the process parked in their pooled cgroups as well, with no cgroup move
     * on their start's path; and they are as they were: members reach each other by name, the sharer is in the
     * owner's network namespace, and the limits hold (the parked process is gone before the init starts anything, so
     * a pids limit of 2 still leaves room for exactly one process).
     */
    @Test
    @SuppressWarnings("try") // the network is held open for its scope only
    void onV1NetworkMembersAndSharersAreClonedByTheProcessParkedInTheirPooledCgroup(@TempDir Path stateDir)
            throws Exception {
        RuntimeConfig config = new RuntimeConfig(Optional.of(stateDir.toString()),
                RuntimeConfig.fromSystemProperties().cgroupParent(), false, 1);
        SandboxSpec limited = SandboxSpec.builder().pids(2).memory(48L << 20).build();
        List<Path> pooledDirs = new ArrayList<>();
        try (SandboxRuntime runtime = SandboxRuntime.create(config)) {
            CheckResult check = runtime.cgroups().check(limited.limits());
            Assumptions.assumeTrue(check.status() == CheckResult.Status.OK && runtime.cgroupVersion().equals("v1"),
                    () -> "needs v1 cgroups with pids and memory: " + check.render());
            try (Network net = runtime.createNetwork("parked")) {
                assertThat(runtime.run(member("warm"), ProcessSpec.of("true")).succeeded()).isTrue();
                try (Sandbox alpha = startFromParked(runtime, stateDir, pooledDirs, () -> runtime.start(member("alpha")));
                        Sandbox beta = startFromParked(runtime, stateDir, pooledDirs, () -> runtime.start(member("beta")))) {
                    SandboxProcess server = alpha.spawn(ProcessSpec.of("python3", "-c", SERVER));
                    assertThat(new BufferedReader(new InputStreamReader(server.stdout())).readLine()).isEqualTo("up");
                    assertThat(beta.exec("python3", "-c", CLIENT, "alpha").stdout()).isEqualTo("HI\n");
                    // One that cannot take a slot gets its veth on its start, from a parked process too.
                    try (Sandbox gamma = startFromParked(runtime, stateDir, pooledDirs,
                            () -> runtime.start(withoutSlot()))) {
                        assertThat(gamma.exec("python3", "-c", CLIENT, "alpha").stdout()).isEqualTo("HI\n");
                    }
                    try (Sandbox sharer = startFromParked(runtime, stateDir, pooledDirs,
                            () -> alpha.startSharingNetwork(limited))) {
                        // alpha's loopback is the sharer's: its server answers there.
                        assertThat(sharer.exec("python3", "-c", CLIENT, "127.0.0.1").stdout()).isEqualTo("HI\n");
                        assertThat(sharer.exec("sh", "-c", "true & wait").exitCode()).isNotZero();
                        assertThat(sharer.usage().pidsLimitHit()).isTrue();
                    }
                    assertThat(server.waitFor().exitCode()).isZero();
                    assertThat(beta.exec("sh", "-c", "true & wait").exitCode()).isNotZero();
                    assertThat(beta.usage().pidsLimitHit()).isTrue();
                    assertThat(alpha.usage().memoryPeakBytes()).isPositive();
                }
                // The memory limit holds for a member's first and only process.
                var hog = runtime.run(member("hog"), ProcessSpec.of("tail", "/dev/zero"));
                assertThat(hog.exitReason()).as(hog.toString()).isEqualTo(ExitReason.OOM_KILLED);
            }
        }
        assertThat(pooledDirs).isNotEmpty().allSatisfy(d -> assertThat(d).doesNotExist());
        try (var left = Files.list(stateDir)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    /** Serves three connections: answers each one's text upper-cased. */
    private static final String SERVER = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', 8080)); s.listen(); print('up', flush=True)
            for _ in range(3):
                c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
            """;
    /** Sends "hi" to argv[1]:8080 and prints the answer. */
    private static final String CLIENT = """
            import socket, sys
            c = socket.create_connection((sys.argv[1], 8080), timeout=10); c.sendall(b'hi'); print(c.recv(100).decode())
            """;

    private static SandboxSpec member(String hostname) {
        return SandboxSpec.builder().hostname(hostname).pids(2).memory(48L << 20).joinNetwork("parked").build();
    }

    /** A member whose id mapping (rootless) or lack of a user namespace (root) no prepared slot has. */
    private static SandboxSpec withoutSlot() {
        SandboxSpec.Builder b = SandboxSpec.builder().hostname("gamma").pids(2).memory(48L << 20).joinNetwork("parked");
        return (HostFacts.current().isRoot() ? b.withoutNamespace(Namespace.USER) : b.idMapping(IdMappingMode.RANGE))
                .build();
    }

    /**
     * Starts a sandbox once the pool holds a cgroup with a process parked in it, and checks that this process cloned
     * its init there and is gone: the init is all the cgroup holds. Adds the cgroup's directories to {@code dirs}.
     */
    private static Sandbox startFromParked(SandboxRuntime runtime, Path stateDir, List<Path> dirs,
            Supplier<Sandbox> start) throws Exception {
        runtime.awaitIdle();
        List<SandboxState> pooled = pooledStates(stateDir);
        assertThat(pooled).hasSize(1);
        List<Path> pooledDirs = pooled.get(0).cgroups().stream().map(Path::of).filter(Files::isDirectory).toList();
        List<Long> parked = awaitProcesses(pooledDirs.get(0));
        assertThat(parked).hasSize(1);
        Sandbox sandbox = start.get();
        dirs.addAll(pooledDirs);
        assertThat(sandbox.running().clonedByParked()).as("cloned by the parked process").isTrue();
        assertThat(sandbox.cgroupDirectories()).containsExactlyInAnyOrderElementsOf(pooledDirs);
        for (Path dir : pooledDirs) {
            assertThat(pids(dir)).containsExactly((long) sandbox.pid());
        }
        assertThat(Path.of("/proc/" + parked.get(0) + "/status")).doesNotExist();
        return sandbox;
    }

    /** The pids in a cgroup once any are there: the parked process moves itself in on its own time. */
    private static List<Long> awaitProcesses(Path dir) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<Long> pids = pids(dir);
        while (pids.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            pids = pids(dir);
        }
        return pids;
    }

    private static List<Long> pids(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve("cgroup.procs")).stream().filter(l -> !l.isBlank()).map(Long::parseLong)
                .toList();
    }

    private static List<SandboxState> pooledStates(Path stateDir) throws Exception {
        List<SandboxState> out = new ArrayList<>();
        try (var entries = Files.list(stateDir)) {
            for (Path entry : entries.toList()) {
                if (!Files.exists(entry.resolve("state.json"))) {
                    continue; // a network's entry
                }
                SandboxState s = new ObjectMapper().readValue(entry.resolve("state.json").toFile(), SandboxState.class);
                if (s.spec().startsWith(SandboxRuntime.POOLED)) {
                    out.add(s);
                }
            }
        }
        return out;
    }
}
