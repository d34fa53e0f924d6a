package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.testing.RequiresSandbox;
import dev.sandboxed.core.testing.ServiceImages;
import dev.sandboxed.core.wait.ReadinessException;
import dev.sandboxed.core.wait.Wait;

/** Service containers: a main process started before the test, and readiness waits declared or set up in code. */
@RequiresSandbox
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServiceTest {
    static final String HTTPD = "sleep 0.5; echo starting httpd; exec httpd -f -v -p 127.0.0.1:18090 -h /work";
    static final String HEALTHY = "sleep 0.5; touch /tmp/healthy; echo healthy now; exec sleep 600";
    @TempDir
    static Path cache;
    static final List<Integer> pids = new ArrayList<>();

    @BeforeAll
    static void images() throws Exception {
        Path layout = ServiceImages.layout(Path.of("target/service-layout"));
        ServiceImages.tag(layout, "httpd", HTTPD, List.of(), Duration.ZERO, 0);
        ServiceImages.tag(layout, "health", HEALTHY, List.of("CMD-SHELL", "test -e /tmp/healthy"), Duration.ofMillis(100), 50);
        System.setProperty("sandboxed.image.cache", cache.toString());
    }

    @AfterAll
    static void restore() {
        System.clearProperty("sandboxed.image.cache");
    }

    @BeforeEach
    void clean() {
        pids.clear();
    }

    static class Services {
        @Test
        void imageStarted(@Sandboxed(image = "oci:target/service-layout:httpd", start = true, waitFor = "port:18090")
                          Container server) {
            pids.add(server.pid());
            // One request, no retry: the wait returned only once httpd listened.
            ExecResult r = server.exec("wget", "-q", "-O-", "http://127.0.0.1:18090/greeting");
            assertThat(r.stdout()).as(r.toString()).isEqualTo("hello from the image\n");
            assertThat(server.mainProcess().command()).containsExactly("/bin/sh", "-c", HTTPD);
            assertThat(server.mainProcess().isAlive()).isTrue();
            assertThat(server.mainProcess().stdout() + server.mainProcess().stderr()).contains("starting httpd");
        }

        @Test
        void commandReplacesTheImagesCmd(@Sandboxed(image = "oci:target/service-layout:httpd",
                command = "echo from command; echo from command; exec sleep 600", waitFor = "log*2:^from command$")
                                         Container c) {
            pids.add(c.pid());
            assertThat(c.mainProcess().command()).as("the Entrypoint is kept").containsExactly("/bin/sh", "-c",
                    "echo from command; echo from command; exec sleep 600");
            assertThat(c.mainProcess().stdout()).isEqualTo("from command\nfrom command\n");
        }

        @Test
        void theImagesHealthCheckIsTheDefaultWait(@Sandboxed(image = "oci:target/service-layout:health", start = true)
                                                  Container c) {
            pids.add(c.pid());
            assertThat(c.exec("test", "-e", "/tmp/healthy").exitCode()).isZero();
        }

        @Test
        void anImageIsStillOnlyARootByDefault(@Sandboxed(image = "oci:target/service-layout:health") Container c) {
            pids.add(c.pid());
            assertThat(c.exec("test", "-e", "/tmp/healthy").exitCode()).as("nothing started").isEqualTo(1);
            assertThat(c.exec("sh", "-c", "cat /proc/[0-9]*/comm").stdout()).doesNotContain("sleep");
            assertThatThrownBy(c::mainProcess).isInstanceOf(IllegalStateException.class)
                    .hasMessageEndingWith("has no main process; set start = true or a command on @Sandboxed");
        }

        @Test
        void commandWithoutImageAndACommandWait(@Sandboxed(command = {"sh", "-c", "sleep 0.5; touch /tmp/up; exec sleep 600"},
                waitFor = "command:test -e /tmp/up") Container c) {
            pids.add(c.pid());
            assertThat(c.exec("test", "-e", "/tmp/up").exitCode()).isZero();
        }
    }

    @Test
    void servicesStartAndAreReadyBeforeTheTest() {
        Kit.succeeded(Kit.run(Services.class), 5);
        Kit.assertNothingLeft(pids);
    }

    @Sandboxed(command = {"sh", "-c", "echo boom-line; echo 'fatal: no config' >&2; exit 3"}, waitFor = "port:1234")
    static class ExitsEarly {
        @Test
        void test(Container c) {
            pids.add(c.pid());
        }
    }

    @Test
    void aMainProcessExitingBeforeReadinessFailsTheTestAtOnce() {
        Throwable t = Kit.onlyFailure(Kit.run(ExitsEarly.class));
        assertThat(t).isInstanceOf(ReadinessException.class)
                .hasMessageContaining("for a TCP socket listening on port 1234: the process ended first: it exited with code 3")
                .hasMessageContaining("boom-line").hasMessageContaining("fatal: no config")
                .hasMessageNotContaining("timed out");
        assertThat(pids).as("the body did not run").isEmpty();
        assertThat(Kit.diagnostics(t)).contains("main process `sh -c echo boom-line;", "exited with code 3",
                "the sandbox ended with it");
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(command = "/no/such/server")
    static class CannotStart {
        @Test
        void test(Container c) {
            pids.add(c.pid());
        }
    }

    @Test
    void aMainProcessThatCannotStartFailsTheTestWithTheReason() {
        Throwable t = Kit.onlyFailure(Kit.run(CannotStart.class));
        assertThat(t).hasMessageContaining("/no/such/server").hasMessageContaining("ENOENT");
        assertThat(pids).isEmpty();
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(command = {"sh", "-c", "echo still-starting; exec sleep 600"}, waitFor = {"log:still", "port:1234"},
            waitTimeout = "700ms")
    static class NeverReady {
        @Test
        void test(Container c) {
            pids.add(c.pid());
        }
    }

    @Test
    void aTimeoutSaysWhatWasAwaitedWithTheLastLinesAndTheState() {
        Throwable t = Kit.onlyFailure(Kit.run(NeverReady.class));
        assertThat(t).isInstanceOf(ReadinessException.class)
                .hasMessageContaining("for a TCP socket listening on port 1234: timed out after 0.7 s")
                .hasMessageContaining("process `sh -c echo still-starting; exec sleep 600`: running")
                .hasMessageContaining("last 1 output line:\n  still-starting");
        assertThat(Kit.diagnostics(t)).contains("main process `sh -c echo still-starting; exec sleep 600` still running");
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(command = {"sh", "-c", "echo started; exec sleep 600"}, waitFor = "log:started")
    static class ClassScoped {
        @Sandboxed
        static Container shared;

        @Test
        void first() {
            check();
        }

        @Test
        void second() {
            check();
        }

        private static void check() {
            pids.add(shared.pid());
            assertThat(shared.mainProcess().log().linesFrom(0)).containsExactly("started");
        }
    }

    @Test
    void aClassScopedServiceStartsAndWaitsOnce() {
        Kit.succeeded(Kit.run(ClassScoped.class), 2);
        assertThat(pids).hasSize(2).containsOnly(pids.get(0));
        Kit.assertNothingLeft(pids);
    }

    @Sandboxed(command = {"sh", "-c", "echo once; exec sleep 600"}, waitFor = "port:1234", waitTimeout = "300ms",
            scope = Scope.CLASS)
    @TestMethodOrder(MethodOrderer.MethodName.class)
    static class ClassScopedNeverReady {
        @Test
        void first(Container c) {
            pids.add(c.pid());
        }

        @Test
        void second(Container c) {
            pids.add(c.pid());
        }
    }

    @Test
    void aClassScopedServiceThatIsNotReadyFailsEveryTestWithTheSameCause() {
        List<Throwable> failures = Kit.run(ClassScopedNeverReady.class).testEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow()).toList();
        assertThat(failures).hasSize(2).allSatisfy(t -> assertThat(t).isInstanceOf(ReadinessException.class));
        assertThat(failures.get(1)).as("awaited once, not again").isSameAs(failures.get(0));
        assertThat(pids).isEmpty();
        Kit.assertNothingLeft(List.of());
    }

    @Sandboxed(command = {"sh", "-c", "echo going-away; sleep 0.3; exit 5"}, waitFor = "log:going")
    static class ExitsDuringTheBody {
        @Test
        void test(Container c) {
            pids.add(c.pid());
            assertThat(c.mainProcess().waitFor().exitCode()).isEqualTo(5);
            throw new AssertionError("deliberate");
        }
    }

    @Test
    void diagnosticsSayTheMainProcessExitedDuringTheTest() {
        Throwable t = Kit.onlyFailure(Kit.run(ExitsDuringTheBody.class));
        assertThat(t).hasMessage("deliberate");
        assertThat(Kit.diagnostics(t)).contains("main process `sh -c echo going-away; sleep 0.3; exit 5` exited with code 5",
                "the sandbox ended with it", "going-away");
        Kit.assertNothingLeft(pids);
    }

    static class WaitsInCode {
        @BeforeEach
        void ready(@Sandboxed(command = {"sh", "-c", "sleep 0.5; exec busybox nc -ll -p 18091 -e echo hi"}) Container c) {
            c.await(Wait.forListeningPort(18091));
        }

        @Test
        void test(Container c) {
            pids.add(c.pid());
            assertThat(c.exec("busybox", "nc", "127.0.0.1", "18091").stdout()).isEqualTo("hi\n");
        }
    }

    @Test
    void waitsSetUpInCodeBeforeTheTestBody() {
        Kit.succeeded(Kit.run(WaitsInCode.class), 1);
        Kit.assertNothingLeft(pids);
    }
}
