package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import dev.sandboxed.core.SandboxRuntime;

/** No sandbox survives a failing, aborted or timed-out test; cleanup modes keep them only when asked. */
class CleanupTest {
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();
    static final List<Container> CONTAINERS = new CopyOnWriteArrayList<>();

    @BeforeEach
    void reset() {
        PIDS.clear();
        CONTAINERS.clear();
    }

    static void track(Container c) {
        PIDS.add(c.pid());
        CONTAINERS.add(c);
    }

    @Sandboxed
    static class Outcomes {
        @Sandboxed
        static Container shared;

        @Test
        void fails(Container c) {
            track(c);
            track(shared);
            c.start("sleep", "600");
            fail("deliberate");
        }

        @Test
        void throwsError(Container c) {
            track(c);
            throw new IllegalStateException("deliberate");
        }

        @Test
        void aborts(Container c) {
            track(c);
            Assumptions.assumeTrue(false, "deliberate abort");
        }

        @Test
        @Timeout(value = 300, unit = TimeUnit.MILLISECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
        void timesOut(Container c) {
            track(c);
            c.exec("sleep", "30");
        }

        @Test
        void succeeds(Container c) {
            track(c);
        }
    }

    @Test
    void nothingIsLeftBehindWhateverTheOutcome() {
        Kit.run(Outcomes.class).testEvents().assertStatistics(s -> s.succeeded(1).failed(3).aborted(1));
        assertThat(PIDS).hasSizeGreaterThanOrEqualTo(6);
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed(cleanup = CleanupMode.ON_SUCCESS)
    static class OnSuccess {
        @Test
        void passes(Container c) {
            track(c);
        }

        @Test
        void fails(Container c) {
            track(c);
            fail("deliberate");
        }
    }

    @Test
    void onSuccessKeepsTheSandboxOfAFailedTestOnly() {
        Kit.run(OnSuccess.class).testEvents().assertStatistics(s -> s.succeeded(1).failed(1));
        try {
            assertThat(CONTAINERS).hasSize(2);
            List<Container> running = CONTAINERS.stream().filter(Container::isRunning).toList();
            assertThat(running).hasSize(1);
            assertThat(Files.exists(Path.of("/proc/" + running.get(0).pid()))).isTrue();
            assertThat(running.get(0).exec("true").succeeded()).as("kept sandbox still usable").isTrue();
        } finally {
            CONTAINERS.forEach(Container::close);
        }
        Kit.assertNothingLeft(PIDS);
    }

    @Test
    void cleanupModeFromConfigurationNeverKeepsEvenPassingTests() {
        Kit.run(Plain.class, Map.of(ExtensionConfig.CLEANUP, "never")).testEvents().assertStatistics(s -> s.succeeded(1));
        try {
            assertThat(CONTAINERS).singleElement().satisfies(c -> assertThat(c.isRunning()).isTrue());
        } finally {
            CONTAINERS.forEach(Container::close);
        }
        Kit.assertNothingLeft(PIDS);
    }

    @Sandboxed
    static class Plain {
        @Test
        void passes(Container c) {
            track(c);
        }
    }

    @Test
    void closingIsIdempotentAndReleasesTheProcesses() {
        Kit.run(Plain.class).testEvents().assertStatistics(s -> s.succeeded(1));
        Container c = CONTAINERS.get(0);
        assertThat(c.isRunning()).isFalse();
        c.close();
        c.close();
        assertThat(SandboxRuntime.shared().openSandboxes()).isEmpty();
        // A closed container's processes ended with it.
        assertThat(c.usage()).isNotNull();
    }

    @Sandboxed(cleanup = CleanupMode.ON_SUCCESS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class KeptOnes {
        @Test
        @Order(1)
        void failsAndIsKept(Container c) {
            track(c);
            fail("deliberate");
        }

        @Test
        @Order(2)
        @Sandboxed(cleanup = CleanupMode.NEVER)
        void passesAndIsKept(Container c) {
            track(c);
        }

        @Test
        @Order(3)
        void needsAPermit(Container c) {
            track(c);
        }
    }

    @Test
    void keptSandboxesDoNotCountAgainstTheConcurrencyCap() {
        // With one sandbox allowed at once, a kept sandbox holding its permit would make the next test wait 10 minutes.
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Kit.run(KeptOnes.class,
                    Map.of(ExtensionConfig.MAX_CONCURRENT, "1")).testEvents().assertStatistics(s -> s.succeeded(2).failed(1)));
            assertThat(CONTAINERS).hasSize(3);
            assertThat(CONTAINERS.subList(0, 2)).allSatisfy(c -> assertThat(c.isRunning()).as("kept").isTrue());
            assertThat(CONTAINERS.get(2).isRunning()).isFalse();
        } finally {
            CONTAINERS.forEach(Container::close);
        }
        Kit.assertNothingLeft(PIDS);
    }
}
