package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * {@code sandboxed.prepareAhead}: the next test's sandbox is started while a test runs and handed to the next test
 * with an equal spec, fresh; one for another spec is closed, and nothing is left when the run ends.
 */
class PrepareAheadTest {
    static final Map<String, String> IDS = new ConcurrentHashMap<>();
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();
    static final List<Path> CGROUPS = new CopyOnWriteArrayList<>();
    static final AtomicInteger MOST_OPEN = new AtomicInteger();
    static final List<Integer> FREE_PERMITS = new CopyOnWriteArrayList<>();
    /** Sandboxes open before a fixture runs (this class's own run may have some): not the fixture's. */
    static final Set<String> BEFORE = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void reset() {
        IDS.clear();
        PIDS.clear();
        CGROUPS.clear();
        MOST_OPEN.set(0);
        FREE_PERMITS.clear();
        BEFORE.clear();
        SandboxRuntime.shared().openSandboxes().forEach(s -> BEFORE.add(s.id()));
    }

    /** The fixture's open sandboxes. */
    static List<Sandbox> open() {
        return SandboxRuntime.shared().openSandboxes().stream().filter(s -> !BEFORE.contains(s.id())).toList();
    }

    /** Waits for the sandbox started ahead of {@code own}'s successor: open, and neither {@code own} nor seen before. */
    static Sandbox startedAhead(Container own) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Sandbox> other = open().stream()
                    .filter(s -> !s.id().equals(own.id()) && !IDS.containsValue(s.id())).findFirst();
            if (other.isPresent()) {
                PIDS.add(other.get().pid());
                CGROUPS.addAll(other.get().cgroupDirectories());
                return other.get();
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no sandbox was started ahead of the test after " + own);
    }

    static void track(Container c) {
        PIDS.add(c.pid());
        CGROUPS.addAll(c.sandbox().cgroupDirectories());
    }

    /** The limits file {@code name} of the sandbox's cgroups, if it has one. */
    static Optional<String> limit(Container c, String name) throws Exception {
        for (Path dir : c.sandbox().cgroupDirectories()) {
            if (Files.exists(dir.resolve(name))) {
                return Optional.of(Files.readString(dir.resolve(name)).trim());
            }
        }
        return Optional.empty();
    }

    @Sandboxed(pids = "32")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Same {
        @Test
        @Order(1)
        void first(Container c) throws Exception {
            track(c);
            IDS.put("first", c.id());
            assertThat(c.exec("sh", "-c", "echo used > /tmp/marker; sleep 1 & echo started").stdout()).isEqualTo("started\n");
            IDS.put("ahead", startedAhead(c).id());
        }

        @Test
        @Order(2)
        void second(Container c) throws Exception {
            track(c);
            IDS.put("second", c.id());
            // Fresh: only its init ran in it so far, and nothing of the first test's sandbox shows.
            assertThat(c.usage().pidsCurrent()).isEqualTo(1);
            assertThat(c.exec("sh", "-c", "echo /proc/[0-9]*").stdout().trim().split(" ")).hasSize(2);
            assertThat(c.exists("/tmp/marker")).isFalse();
            assertThat(c.name()).isEqualTo(SandboxedSettings.DEFAULT_NAME);
            assertThat(c.exec("hostname").stdout().trim()).isEqualTo(c.spec().hostname());
            assertThat(limit(c, "pids.max")).hasValue("32");
            assertThat(c.spec().limits().pidsMax()).hasValue(32L);
            startedAhead(c); // for a third test, which never comes: closed at the end of the run
        }
    }

    @Test
    void theNextTestGetsTheSandboxStartedAheadFresh() {
        Kit.succeeded(Kit.run(Same.class), 2);
        assertThat(IDS.get("second")).isEqualTo(IDS.get("ahead")).isNotEqualTo(IDS.get("first"));
        assertNothingLeft();
    }

    @Sandboxed
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Mismatch {
        @Test
        @Order(1)
        void first(Container c) throws Exception {
            track(c);
            IDS.put("ahead", startedAhead(c).id());
        }

        @Test
        @Order(2)
        void second(@Sandboxed(hostname = "other") Container c) throws Exception {
            track(c);
            IDS.put("second", c.id());
            assertThat(c.exec("hostname").stdout()).isEqualTo("other\n");
            String ahead = IDS.get("ahead");
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (open().stream().anyMatch(s -> s.id().equals(ahead))
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(open()).as("the one started for the first spec is closed")
                    .noneMatch(s -> s.id().equals(ahead));
        }
    }

    @Test
    void oneStartedForAnotherSpecIsClosedUnused() {
        Kit.succeeded(Kit.run(Mismatch.class), 2);
        assertThat(IDS.get("second")).isNotEqualTo(IDS.get("ahead"));
        assertNothingLeft();
    }

    /** The bind source of {@link BindSource}, relative to the module's directory. */
    static final String BIND_SOURCE = "target/prepare-ahead-bind";
    /** What {@link BindSource}'s first test puts in the source once the next sandbox was started; null: nothing. */
    static volatile String replaceWith;

    /** Makes the bind source again, holding one file {@code word}: a directory of its own, not the old one. */
    static void makeBindSource(String word) throws Exception {
        removeBindSource();
        Files.createDirectories(Path.of(BIND_SOURCE));
        Files.writeString(Path.of(BIND_SOURCE, "word"), word);
    }

    static void removeBindSource() throws Exception {
        Path dir = Path.of(BIND_SOURCE);
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Sandboxed(mounts = BIND_SOURCE + ":/data")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class BindSource {
        @Test
        @Order(1)
        void first(Container c) throws Exception {
            track(c);
            assertThat(c.readString("/data/word")).isEqualTo("one");
            IDS.put("ahead", startedAhead(c).id());
            if (replaceWith != null) {
                makeBindSource(replaceWith); // the sandbox started ahead binds the old directory
            }
        }

        @Test
        @Order(2)
        void second(Container c) throws Exception {
            track(c);
            IDS.put("second", c.id());
            assertThat(c.readString("/data/word")).isEqualTo(replaceWith == null ? "one" : replaceWith);
            if (replaceWith != null) {
                Thread.sleep(500); // a start ahead would have begun by now
                assertThat(open()).as("a spec whose sandbox went stale is not started ahead again")
                        .allMatch(s -> s.id().equals(c.id()) || s.id().equals(IDS.get("ahead")));
            }
        }
    }

    @Test
    void aContainerWithABindMountIsStartedAhead() throws Exception {
        makeBindSource("one");
        replaceWith = null;
        try {
            Kit.succeeded(Kit.run(BindSource.class), 2);
        } finally {
            removeBindSource();
        }
        assertThat(IDS.get("second")).isEqualTo(IDS.get("ahead"));
        assertNothingLeft();
    }

    @Test
    void oneWhoseBindSourceWasReplacedIsNotHandedOut() throws Exception {
        makeBindSource("one");
        replaceWith = "two";
        try {
            Kit.succeeded(Kit.run(BindSource.class), 2);
        } finally {
            removeBindSource();
        }
        assertThat(IDS.get("second")).isNotEqualTo(IDS.get("ahead"));
        assertNothingLeft();
    }

    @Sandboxed(mounts = BIND_SOURCE + ":/data:rw")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class WritableBind {
        @Test
        @Order(1)
        void first(Container c) throws Exception {
            track(c);
            IDS.put("first", c.id());
            c.exec("sh", "-c", "(while :; do date > /data/clock; sleep 0.01; done) > /dev/null 2>&1 &");
            IDS.put("ahead", startedAhead(c).id());
        }

        @Test
        @Order(2)
        void second(Container c) {
            track(c);
            IDS.put("second", c.id());
            // Closed on the first test's path: nothing of it writes to the host directory any more.
            assertThat(open()).noneMatch(s -> s.id().equals(IDS.get("first")));
        }
    }

    @Test
    void oneWritingToTheHostIsClosedBeforeTheNextTest() throws Exception {
        makeBindSource("one");
        replaceWith = null;
        try {
            Kit.succeeded(Kit.run(WritableBind.class), 2);
        } finally {
            removeBindSource();
        }
        assertThat(IDS.get("second")).isEqualTo(IDS.get("ahead"));
        assertNothingLeft();
    }

    @Test
    void onlyAWritableBindOrDirectoryRootWritesToTheHost() {
        String dir = System.getProperty("java.io.tmpdir");
        assertThat(PreparedAhead.writesToHost(SandboxSpec.defaults())).isFalse();
        assertThat(PreparedAhead.writesToHost(SandboxSpec.builder().bindReadOnly(dir, "/data").build())).isFalse();
        assertThat(PreparedAhead.writesToHost(SandboxSpec.builder().bindWritable(dir, "/data").build())).isTrue();
        SandboxSpec.Builder root = SandboxSpec.builder().rootfs(RootFs.directory(Path.of(dir)));
        assertThat(PreparedAhead.writesToHost(root.build())).isTrue();
        assertThat(PreparedAhead.writesToHost(root.readOnlyRoot(true).build())).isFalse();
    }

    /** {@code @Sandboxed} on methods only: the extension gets no class callbacks, yet nothing outlives the class. */
    @TestClassOrder(ClassOrderer.OrderAnnotation.class)
    static class MethodLevel {
        @Nested
        @Order(1)
        class Prepares {
            @Test
            @Sandboxed
            void first(Container c) throws Exception {
                track(c);
                IDS.put("ahead", startedAhead(c).id());
            }
        }

        @Nested
        @Order(2)
        class Later {
            @Test
            void nothingOfTheEarlierClassIsOpen() {
                assertThat(open()).isEmpty();
            }
        }
    }

    @Test
    void nothingStartedAheadOutlivesItsClass() {
        Kit.succeeded(Kit.run(MethodLevel.class), 2);
        assertNothingLeft();
    }

    /** The run's {@code sandboxed.maxConcurrent} permits and its runtime, as the extension keeps them. */
    static class OfTheRun implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            Class<?> type = parameter.getParameter().getType();
            return type == Semaphore.class || type == SandboxRuntime.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            ExtensionConfig config = new ExtensionConfig(context);
            return parameter.getParameter().getType() == Semaphore.class ? Runtimes.permits(context, config)
                    : Runtimes.runtime(context, config);
        }
    }

    @Sandboxed
    @ExtendWith(OfTheRun.class)
    static class One {
        @Test
        void only(Container c, Semaphore permits) {
            track(c);
            FREE_PERMITS.add(permits.availablePermits());
        }
    }

    @Test
    void aSandboxStartedAheadHoldsAPermitAndTheSwitchTurnsItOff() {
        Kit.succeeded(Kit.run(One.class, Map.of(ExtensionConfig.MAX_CONCURRENT, "4")), 1);
        Kit.succeeded(Kit.run(One.class, Map.of(ExtensionConfig.MAX_CONCURRENT, "4",
                ExtensionConfig.PREPARE_AHEAD, "false")), 1);
        // The test's own sandbox holds one permit; the one started ahead another, unless switched off.
        assertThat(FREE_PERMITS).containsExactly(2, 3);
        // With a single permit, which the test holds, nothing is started ahead and nobody waits.
        Kit.succeeded(Kit.run(One.class, Map.of(ExtensionConfig.MAX_CONCURRENT, "1")), 1);
        assertThat(FREE_PERMITS).containsExactly(2, 3, 0);
        assertNothingLeft();
    }

    @Sandboxed
    static class Parallel {
        @RepeatedTest(12)
        void work(Container c) throws Exception {
            track(c);
            MOST_OPEN.accumulateAndGet(open().size(), Math::max);
            assertThat(c.usage().pidsCurrent()).isEqualTo(1);
            assertThat(c.exec("sh", "-c", "echo /proc/[0-9]*; sleep 0.1").stdout().trim().split(" ")).hasSize(2);
            MOST_OPEN.accumulateAndGet(open().size(), Math::max);
        }
    }

    @Test
    void parallelTestsEachGetAFreshSandboxWithinTheCap() {
        Kit.succeeded(Kit.run(Parallel.class, Map.of("junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "4",
                ExtensionConfig.MAX_CONCURRENT, "3")), 12);
        // Those started ahead count against sandboxed.maxConcurrent too.
        assertThat(MOST_OPEN.get()).isBetween(1, 3);
        assertNothingLeft();
    }

    static final AtomicReference<Path> STATE_DIR = new AtomicReference<>();
    static final List<Long> STATE_ENTRIES = new CopyOnWriteArrayList<>();

    @Sandboxed
    @ExtendWith(OfTheRun.class)
    static class Repeated {
        @RepeatedTest(3)
        void work(Container c, SandboxRuntime runtime) throws Exception {
            track(c);
            runtime.awaitIdle();
            try (Stream<Path> entries = Files.list(STATE_DIR.get())) {
                STATE_ENTRIES.add(entries.count());
            }
        }
    }

    @Test
    void theRuntimePrestartsNothingForTheExtensionsOwnContainers(@TempDir Path stateDir) {
        STATE_DIR.set(stateDir);
        STATE_ENTRIES.clear();
        // Its own runtime (a state directory of its own, no cgroups made ahead): its entries are the containers'.
        Kit.succeeded(Kit.run(Repeated.class, Map.of(ExtensionConfig.STATE_DIR, stateDir.toString(),
                RuntimeConfig.CGROUP_POOL_PROPERTY, "0", ExtensionConfig.PREPARE_AHEAD, "false")), 3);
        // Only the test's own container: none set up for the next start by the runtime (sandboxed.prestart).
        assertThat(STATE_ENTRIES).containsExactly(1L, 1L, 1L);
        assertNothingLeft();
    }

    /** No sandbox open, no init alive, and (once the background removal is done) no cgroup of any of them left. */
    private static void assertNothingLeft() {
        Kit.assertNothingLeft(PIDS);
        SandboxRuntime.shared().awaitIdle();
        assertThat(CGROUPS).noneMatch(Files::exists);
    }
}
