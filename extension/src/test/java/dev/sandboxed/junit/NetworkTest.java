package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sandboxed.core.Network;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.NetworkJoin;
import dev.sandboxed.core.testing.RequiresSandbox;

/** {@code network = "net:NAME"}: a private network per test or class, its members reaching each other by name. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NetworkTest {
    /** Answers every connection on port 8080 with what it sent, upper-cased. */
    static final String SERVER = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', 8080)); s.listen()
            while True:
                c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
            """;
    /** Sends argv[2] to argv[1]:8080 and prints the answer, or the error with exit code 3. */
    static final String CLIENT = """
            import socket, sys
            try:
                c = socket.create_connection((sys.argv[1], 8080), timeout=5)
                c.sendall(sys.argv[2].encode()); print(c.recv(100).decode())
            except OSError as e:
                print('error:', e); sys.exit(3)
            """;
    static final List<String> NETWORKS = Collections.synchronizedList(new ArrayList<>());
    static final List<Integer> PIDS = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void clear() {
        NETWORKS.clear();
        PIDS.clear();
    }

    static ExecResult send(Container from, String host, String text) {
        return from.exec("python3", "-c", CLIENT, host, text);
    }

    /** The runtime network {@code c} is on. */
    static String network(Container c) {
        PIDS.add(c.pid());
        String name = c.sandbox().spec().joinedNetwork().map(NetworkJoin::network).orElseThrow();
        NETWORKS.add(name);
        return name;
    }

    static class TwoContainers {
        @Test
        void reachEachOtherByNameAndAlias(
                @Sandboxed(name = "db", network = "net:backend", aliases = {"postgres", "primary"},
                        command = {"python3", "-c", SERVER}, waitFor = "port:8080") Container db,
                @Sandboxed(name = "app", network = "net:backend") Container app) {
            assertThat(network(db)).isEqualTo(network(app)).startsWith("backend-");
            assertThat(SandboxRuntime.shared().network(network(db))).isPresent();
            assertThat(send(app, "db", "by name").stdout()).isEqualTo("BY NAME\n");
            assertThat(send(app, "postgres", "by alias").stdout()).isEqualTo("BY ALIAS\n");
            assertThat(send(app, "primary", "by alias").stdout()).isEqualTo("BY ALIAS\n");
            assertThat(send(app, db.sandbox().address().orElseThrow(), "by address").stdout()).isEqualTo("BY ADDRESS\n");
            // The container name is the hostname, and resolves to the member's address for the others too.
            assertThat(db.exec("hostname").stdout().trim()).isEqualTo("db");
            assertThat(app.exec("hostname").stdout().trim()).isEqualTo("app");
            assertThat(db.exec("python3", "-c", "import socket; print(socket.gethostbyname('app'))").stdout().trim())
                    .isEqualTo(app.sandbox().address().orElseThrow());
        }

        @Test
        void anExplicitHostnameKeepsTheNameAsAlias(
                @Sandboxed(name = "db", hostname = "database", network = "net:backend",
                        command = {"python3", "-c", SERVER}, waitFor = "port:8080") Container db,
                @Sandboxed(name = "app", network = "net:backend") Container app) {
            network(db);
            assertThat(db.exec("hostname").stdout().trim()).isEqualTo("database");
            assertThat(send(app, "database", "by hostname").stdout()).isEqualTo("BY HOSTNAME\n");
            assertThat(send(app, "db", "by name").stdout()).isEqualTo("BY NAME\n");
        }

        @Test
        void aContainerOffTheNetworkIsNotReached(
                @Sandboxed(name = "db", network = "net:backend", command = {"python3", "-c", SERVER},
                        waitFor = "port:8080") Container db,
                @Sandboxed(name = "outsider") Container outsider) {
            network(db);
            PIDS.add(outsider.pid());
            ExecResult r = send(outsider, db.sandbox().address().orElseThrow(), "hello");
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
            assertThat(send(outsider, "db", "hello").exitCode()).isEqualTo(3);
        }
    }

    @Test
    void containersOfOneTestShareANetworkThatIsGoneAfterIt() {
        Kit.run(TwoContainers.class).testEvents().assertStatistics(s -> s.succeeded(3).failed(0));
        assertThat(Set.copyOf(NETWORKS)).as("one network per test").hasSize(3);
        for (String name : NETWORKS) {
            assertThat(SandboxRuntime.shared().network(name)).as(name).isEmpty();
        }
        Kit.assertNothingLeft(PIDS);
    }

    static class ReadmeExample {
        @Test
        void appTalksToDb(@Sandboxed(name = "db", network = "net:backend", aliases = "postgres", publish = "8080",
                command = {"python3", "-m", "http.server", "8080"}, waitFor = "port:8080") Container db,
                          @Sandboxed(name = "app", network = "net:backend") Container app) throws Exception {
            network(db);
            ExecResult r = app.exec("python3", "-c", "import urllib.request as u; u.urlopen('http://postgres:8080/')");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            // A member's published port still reaches the test.
            assertThat(Http.status(Http.get(db.url(8080, "/")))).isEqualTo(200);
        }
    }

    @Test
    void theReadmeExampleWorksAndPublishingToo() {
        Kit.run(ReadmeExample.class).testEvents().assertStatistics(s -> s.succeeded(1).failed(0));
        assertThat(SandboxRuntime.shared().network(NETWORKS.get(0))).isEmpty();
        Kit.assertNothingLeft(PIDS);
    }

    static class Kept {
        @Test
        void kept(@Sandboxed(name = "db", network = "net:backend", cleanup = CleanupMode.NEVER) Container db,
                  @Sandboxed(name = "app", network = "net:backend") Container app) {
            network(db);
            assertThat(app.exec("python3", "-c", "import socket; print(socket.gethostbyname('db'))").stdout().trim())
                    .isEqualTo(db.sandbox().address().orElseThrow());
        }
    }

    @Test
    void aKeptContainerKeepsItsNetwork() {
        Kit.run(Kept.class).testEvents().assertStatistics(s -> s.succeeded(1).failed(0));
        Network network = SandboxRuntime.shared().network(NETWORKS.get(0)).orElseThrow();
        assertThat(SandboxRuntime.shared().openSandboxes()).hasSize(1);
        // Closing the network closes the kept member.
        network.close();
        Kit.assertNothingLeft(PIDS);
    }

    static final CyclicBarrier BOTH = new CyclicBarrier(2);
    static final Map<String, String> ADDRESSES = new ConcurrentHashMap<>();

    static class SameNameInParallel {
        private static void meetTheOther(String self, String other, Container node) throws Exception {
            network(node);
            ADDRESSES.put(self, node.sandbox().address().orElseThrow());
            BOTH.await(2, TimeUnit.MINUTES);
            String theirs = ADDRESSES.get(other);
            assertThat(send(node, "node", "mine").stdout()).isEqualTo("MINE\n");
            ExecResult r = send(node, theirs, "theirs");
            assertThat(r.exitCode()).as("reaching %s from %s: %s", theirs, self, r).isEqualTo(3);
            assertThat(node.exec("cat", "/etc/hosts").stdout()).doesNotContain(theirs + " ")
                    .doesNotContain(theirs + "\t");
            // Both stay up until each has tried.
            BOTH.await(2, TimeUnit.MINUTES);
        }

        @Test
        void left(@Sandboxed(name = "node", network = "net:backend", command = {"python3", "-c", SERVER},
                waitFor = "port:8080") Container node) throws Exception {
            meetTheOther("left", "right", node);
        }

        @Test
        void right(@Sandboxed(name = "node", network = "net:backend", command = {"python3", "-c", SERVER},
                waitFor = "port:8080") Container node) throws Exception {
            meetTheOther("right", "left", node);
        }
    }

    @Test
    void parallelTestsWithOneNetworkNameDoNotSeeEachOther() {
        BOTH.reset();
        ADDRESSES.clear();
        Kit.run(SameNameInParallel.class, Map.of("junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "2"))
                .testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        assertThat(NETWORKS).hasSize(2).doesNotHaveDuplicates();
        assertThat(ADDRESSES).hasSize(2);
        for (String name : NETWORKS) {
            assertThat(SandboxRuntime.shared().network(name)).as(name).isEmpty();
        }
        Kit.assertNothingLeft(PIDS);
    }

    static final Set<String> CLASS_NETWORKS = ConcurrentHashMap.newKeySet();

    static class ClassScoped {
        @Sandboxed(name = "db", network = "net:shared", command = {"python3", "-c", SERVER}, waitFor = "port:8080")
        static Container db;

        @Test
        void first(@Sandboxed(name = "app", network = "net:shared") Container app) {
            CLASS_NETWORKS.add(network(db));
            assertThat(network(app)).isEqualTo(network(db));
            assertThat(send(app, "db", "first").stdout()).isEqualTo("FIRST\n");
        }

        @Test
        void second(@Sandboxed(name = "app", network = "net:shared") Container app) {
            assertThat(network(app)).isEqualTo(network(db));
            assertThat(send(app, "db", "second").stdout()).isEqualTo("SECOND\n");
            // The first test's app left the network with its test: its name no longer resolves.
            assertThat(db.exec("python3", "-c", "import socket; print(socket.gethostbyname('app'))").stdout().trim())
                    .isEqualTo(app.sandbox().address().orElseThrow());
        }
    }

    @Test
    void aTestsContainerJoinsTheClasssNetworkWhichLivesForTheClass() {
        CLASS_NETWORKS.clear();
        Kit.run(ClassScoped.class).testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        assertThat(Set.copyOf(NETWORKS)).hasSize(1);
        assertThat(SandboxRuntime.shared().network(NETWORKS.get(0))).isEmpty();
        Kit.assertNothingLeft(PIDS);
    }
}
