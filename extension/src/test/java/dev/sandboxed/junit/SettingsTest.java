package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.NetworkMode;

/** Settings reach the spec; bad settings fail before anything starts; configuration gives defaults. */
class SettingsTest {
    static final List<Container> SEEN = new CopyOnWriteArrayList<>();

    @BeforeEach
    void reset() {
        SEEN.clear();
    }

    private static List<Throwable> failures(EngineExecutionResults results) {
        return results.testEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
    }

    @Sandboxed(readOnlyRoot = Toggle.ON, mounts = {"src:/tmp/src:ro", "tmpfs:/mnt:size=2m,mode=0700"},
            network = "host", seccomp = "unconfined", workdir = "/mnt", env = {"A=1", "B=x=y"})
    static class Everything {
        @Test
        void spec(Container c) {
            SEEN.add(c);
            assertThat(c.spec().readOnlyRoot()).isTrue();
            assertThat(c.spec().network()).isEqualTo(NetworkMode.HOST);
            assertThat(c.spec().seccompProfile()).isEqualTo("unconfined");
            assertThat(c.spec().environment()).containsEntry("A", "1").containsEntry("B", "x=y");
            assertThat(c.spec().mounts()).hasSize(2).anySatisfy(m -> assertThat(m).isInstanceOf(Mount.Tmpfs.class));
            assertThat(c.exec("pwd").stdout()).isEqualTo("/mnt\n");
            assertThat(c.exec("sh", "-c", "touch /mnt/ok && ! touch /ok 2>/dev/null").succeeded()).isTrue();
            assertThat(c.exec("test", "-d", "/tmp/src/test").succeeded()).isTrue();
        }

        @Test
        @Sandboxed(readOnlyRoot = Toggle.OFF, network = "none")
        void methodTurnsThingsBackOff(Container c) {
            assertThat(c.spec().readOnlyRoot()).isFalse();
            assertThat(c.spec().network()).isEqualTo(NetworkMode.NONE);
        }
    }

    @Test
    void annotationSettingsReachTheSandbox() {
        EngineExecutionResults r = Kit.run(Everything.class);
        assertThat(failures(r)).isEmpty();
        r.testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
    }

    @Sandboxed
    static class Plain {
        @Test
        void spec(Container c) {
            SEEN.add(c);
            c.exec("true");
        }
    }

    @Test
    void configurationParametersGiveDefaults() {
        // Nothing started ahead: on a busy 2-core machine that background start could take the 50 ms the exec has.
        Kit.run(Plain.class, Map.of(ExtensionConfig.NETWORK, "host", ExtensionConfig.SECCOMP, "unconfined",
                ExtensionConfig.TIMEOUT, "50ms", ExtensionConfig.PREPARE_AHEAD, "false")).testEvents()
                .assertStatistics(s -> s.succeeded(1));
        Container c = SEEN.get(0);
        assertThat(c.spec().network()).isEqualTo(NetworkMode.HOST);
        assertThat(c.spec().seccompProfile()).isEqualTo("unconfined");
        // The configured default timeout was applied to exec.
        assertThat(c.history()).singleElement().satisfies(r -> assertThat(r.exitCode()).isZero());
    }

    @Sandboxed(hostname = "-bad-", memory = "lots")
    static class Bad {
        @Test
        void test(Container c) {
        }
    }

    @Sandboxed(mounts = "/does/not/exist:/x")
    static class BadMount {
        @Test
        void test(Container c) {
        }
    }

    @Test
    void badSettingsFailWithTheField() {
        assertThat(failures(Kit.run(Bad.class))).singleElement().satisfies(t -> assertThat(t)
                .isInstanceOf(SandboxedConfigurationException.class).hasMessageContaining("memory").hasMessageContaining("lots"));
        assertThat(failures(Kit.run(BadMount.class))).singleElement().satisfies(t -> assertThat(t)
                .isInstanceOf(SandboxedConfigurationException.class).hasMessageContaining("/does/not/exist"));
        assertThat(failures(Kit.run(Plain.class, Map.of(ExtensionConfig.CLEANUP, "sometimes")))).singleElement()
                .satisfies(t -> assertThat(t).hasMessageContaining("expected always, on_success or never"));
        assertThat(failures(Kit.run(Plain.class, Map.of(RuntimeConfig.CGROUP_POOL_PROPERTY, "lots")))).singleElement()
                .satisfies(t -> assertThat(t).isInstanceOf(SandboxedConfigurationException.class)
                        .hasMessageContaining(RuntimeConfig.CGROUP_POOL_PROPERTY).hasMessageContaining("'lots' is not a number"));
        assertThat(failures(Kit.run(Plain.class, Map.of(RuntimeConfig.CGROUP_POOL_PROPERTY, "99")))).singleElement()
                .satisfies(t -> assertThat(t).hasMessageContaining("between 0 and 16"));
        Kit.assertNothingLeft(List.of());
    }

    static class SharedNetwork {
        @Test
        void test(@Sandboxed(name = "app") Container app, @Sandboxed(name = "client", network = "container:app") Container client)
                throws Exception {
            assertThat(client.exec("cat", "/proc/net/dev").stdout()).isEqualTo(app.exec("cat", "/proc/net/dev").stdout());
            // The client reaches a server the app runs on 127.0.0.1; its own root stays separate.
            ContainerProcess server = app.startShell("python3 -c \"import socket; s=socket.socket(); "
                    + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 18081)); s.listen(); "
                    + "print('up', flush=True); c,_=s.accept(); c.sendall(b'pong'); c.close()\"");
            server.awaitLine("up", Duration.ofSeconds(30));
            assertThat(client.exec("python3", "-c", "import socket; print(socket.create_connection(('127.0.0.1', 18081)).recv(4).decode())")
                    .stdout()).isEqualTo("pong\n");
            app.exec("touch", "/tmp/app-only");
            assertThat(client.exec("test", "-e", "/tmp/app-only").exitCode()).isEqualTo(1);
        }
    }

    @Test
    void containersCanShareOneNetwork() {
        EngineExecutionResults results = Kit.run(SharedNetwork.class);
        results.testEvents().assertStatistics(s -> s.succeeded(1));
        Kit.assertNothingLeft(List.of());
    }

    static class SharesItself {
        @Test
        void test(@Sandboxed(name = "loop", network = "container:loop") Container c) {
        }
    }

    @Test
    void aContainerCannotShareItsOwnNetwork() {
        assertThat(failures(Kit.run(SharesItself.class))).singleElement().satisfies(t -> assertThat(t)
                .isInstanceOf(SandboxedConfigurationException.class).hasMessageContaining("names this container itself"));
        Kit.assertNothingLeft(List.of());
    }
}
