package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.spec.Namespace;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.testing.RequiresSandbox;

/** Bad input is rejected with the field and what is allowed, and nothing is created on the host. */
class BadSpecTest {

    private static void rejected(ThrowingSupplier<?> build, String field, String... phrases) {
        assertThatThrownBy(build::get)
                .isInstanceOf(SpecException.class)
                .satisfies(e -> assertThat(((SpecException) e).field()).isEqualTo(field))
                .hasMessageStartingWith(field + ": ")
                .hasMessageContainingAll(phrases);
    }

    @Test
    void missingBindSource() {
        rejected(() -> SandboxSpec.builder().bindReadOnly("/no/such/dir", "/data").build(),
                "mounts.bind.source", "/no/such/dir", "does not exist");
    }

    @Test
    void relativePaths() {
        rejected(() -> SandboxSpec.builder().bindReadOnly("/tmp", "data").build(), "mounts.bind.target", "relative");
        rejected(() -> SandboxSpec.builder().workdir("work").build(), "workdir", "relative");
        rejected(() -> SandboxSpec.builder().bindReadOnly("tmp", "/data").build(), "mounts.bind.source", "relative");
    }

    @Test
    void dotDotEscapes() {
        rejected(() -> SandboxSpec.builder().bindReadOnly("/tmp", "/data/../../etc").build(), "mounts.bind.target", "'..'");
        rejected(() -> SandboxSpec.builder().tmpfs("/x/../..", 0).build(), "mounts.tmpfs.target", "'..'");
        rejected(() -> SandboxSpec.builder().workdir("/../etc").build(), "workdir", "'..'");
    }

    @Test
    void badSizes() {
        rejected(() -> Sizes.parseBytes("memory", "12zz"), "memory", "not a size", "64m");
        rejected(() -> Sizes.parseBytes("memory", "-5"), "memory", "not a size");
        rejected(() -> SandboxSpec.builder().tmpfs("/x", -1).build(), "mounts.tmpfs.size", "negative");
        rejected(() -> Sizes.parseDuration("timeout", "0s"), "timeout", "positive");
        rejected(() -> Sizes.parseDuration("timeout", "9999999999999999h"), "timeout", "maximum of 8760h");
        rejected(() -> Sizes.parseDuration("timeout", "3000000h"), "timeout", "maximum of 8760h");
        rejected(() -> ProcessSpec.builder("true").timeout(Duration.ofDays(366)), "timeout", "maximum");
    }

    @Test
    void unknownUserAndOutOfRangeIds() {
        rejected(() -> Sandbox.start(SandboxSpec.builder().user("no-such-user-xyz").build()), "user", "unknown user",
                "/etc/passwd");
        rejected(() -> SandboxSpec.builder().user("70000").build(), "user", "0..65535");
        rejected(() -> SandboxSpec.builder().user("a:b:c").build(), "user", "NAME[:GROUP]");
        rejected(() -> SandboxSpec.builder().user("../x").build(), "user", "'/'");
        rejected(() -> SandboxSpec.builder().user(":x").build(), "user", "empty name");
    }

    @Test
    void aUserNamespaceWithoutAPidNamespaceCannotMountItsProc() {
        rejected(() -> SandboxSpec.builder().withoutNamespace(Namespace.PID).build(),
                "namespaces", "own pid namespace", "keep PID");
        SandboxSpec.builder().withoutNamespace(Namespace.USER)
                .withoutNamespace(Namespace.PID).build(); // root's way to share the host's pids
    }

    @Test
    void otherFields() {
        rejected(() -> SandboxSpec.builder().hostname("bad host!").build(), "hostname", "letters, digits");
        rejected(() -> SandboxSpec.builder().hostname("h".repeat(65)).build(), "hostname", "1-64 bytes");
        rejected(() -> SandboxSpec.builder().hostname("hé").build(), "hostname", "letters, digits");
        assertThat(SandboxSpec.builder().hostname("h".repeat(64)).build().hostname()).hasSize(64); // __NEW_UTS_LEN
        rejected(() -> SandboxSpec.builder().env("A=B", "x").build(), "env", "'='");
        rejected(() -> ProcessSpec.builder().build(), "command", "no command");
        rejected(() -> RootFs.directory(Path.of("/no/such/root")), "rootfs", "does not exist");
        rejected(() -> NetworkMode.parse("bridge"), "network", "allowed: none, host, egress");
    }

    @Test
    void egressCombinations() {
        assertThat(NetworkMode.parse("Egress")).isEqualTo(NetworkMode.EGRESS);
        SandboxSpec egress = SandboxSpec.builder().network(NetworkMode.EGRESS).build();
        assertThat(egress.network()).isEqualTo(NetworkMode.EGRESS);
        assertThat(egress.has(dev.sandboxed.core.spec.Namespace.NET)).isTrue();
        assertThat(egress.egressHostLoopback()).isFalse();
        assertThat(egress.toBuilder().egressHostLoopback(true).build().egressHostLoopback()).isTrue();
        assertThat(egress.toBuilder().build()).isEqualTo(egress);
        assertThat(egress).isNotEqualTo(SandboxSpec.defaults());
        assertThat(egress.toBuilder().network(NetworkMode.NONE).build().network()).isEqualTo(NetworkMode.NONE);
        rejected(() -> SandboxSpec.builder().egressHostLoopback(true).build(), "egressHostLoopback",
                "only applies to network egress");
        rejected(() -> SandboxSpec.builder().network(NetworkMode.EGRESS).joinNetwork("backend").build(), "network",
                "egress and joining network 'backend'");
        rejected(() -> SandboxSpec.builder().network(NetworkMode.EGRESS)
                .withoutNamespace(dev.sandboxed.core.spec.Namespace.NET).build(), "network", "keep NET");
    }

    @Test
    @RequiresSandbox
    void nothingIsCreatedForARejectedSpec(@TempDir Path state) throws Exception {
        try (SandboxRuntime runtime = SandboxRuntime.create(
                new RuntimeConfig(Optional.of(state.toString()), Optional.empty(), true))) {
            rejected(() -> runtime.start(SandboxSpec.builder().seccomp("/no/such/profile.json").build()),
                    "seccomp", "/no/such/profile.json");
            rejected(() -> runtime.start(SandboxSpec.builder().bindReadOnly("/tmp", "/usr/no/such/dir").build()),
                    "mounts.bind.target", "/usr is the host's, read-only");
            Thread.sleep(200); // a rejected spec is never prestarted either
            try (var s = Files.list(state)) {
                assertThat(s.toList()).isEmpty();
            }
            assertThat(runtime.openSandboxes()).isEmpty();
        }
    }
}
