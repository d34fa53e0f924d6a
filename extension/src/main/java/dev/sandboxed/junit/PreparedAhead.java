package dev.sandboxed.junit;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.runtime.PreparedFreshness;
import dev.sandboxed.core.internal.runtime.PrestartOptOut;
import dev.sandboxed.core.internal.runtime.Prestarted;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.junit.internal.ahead.Ahead;

/**
 * The sandboxes of a test run started ahead ({@code sandboxed.prepareAhead}, on by default): once a test got its
 * container, one with the same spec starts in the background, and the next test whose container has an equal spec
 * gets it, so the start is off that test's path. Kept in the root store: what no test took is closed at the end of
 * the run (and with the runtime at JVM exit; after a kill -9 the next runtime's clean-up removes it like any other).
 *
 * <p>Such a test's container is closed in the background too, once the test is done (its permit given back when it
 * is closed); what a class's tests left is closed when the class ends.
 *
 * <p>Only for containers that an earlier start cannot tell apart from a later one: no customizer (its callbacks and
 * spec are code), no main process, no published or exposed ports (held meanwhile), no network to join, no egress
 * helper, no hooks (they run when the test starts the container). One is not handed out when a start now would
 * differ ({@link PreparedFreshness}, taken just before it was started: a bind source, device or directory root deleted
 * and made again, the host's mount table, root directory or seccomp profile file changed, a user name resolving
 * otherwise, another home directory to hide) or when it waited longer than {@link Prestarted#MAX_AGE} (what those
 * checks miss does not stay stale for long): it is closed in the background and the test starts its own. A spec
 * whose sandbox differed from a start now is not started ahead again in the run (a suite that remakes its bind
 * source before every test would waste every one); one that only grew old is.
 *
 * <p>A container that writes to the host (a writable bind or directory root) is closed on the test's path, as
 * without this: what it left running must not write there while the next test runs.
 */
// CloseableResource is deprecated since JUnit 5.13 (AutoCloseable suffices there); older 5.x versions need it.
@SuppressWarnings("deprecation")
final class PreparedAhead implements AutoCloseable, ExtensionContext.Store.CloseableResource {
    /** Two: a test with two different containers gets both ahead. */
    static final int CAPACITY = 2;
    private static final String KEY = "prepared-ahead";
    private static final String CLASS_END_KEY = "prepared-ahead-class-end";

    private static final System.Logger LOG = System.getLogger(PreparedAhead.class.getName());

    private record Key(SandboxRuntime runtime, SandboxSpec spec) {
    }

    /** A sandbox started ahead, with what its set-up read on the host just before it, and when. */
    record Prepared(Sandbox sandbox, Key key, PreparedFreshness before, long startedNanos) implements AutoCloseable {
        @Override
        public void close() {
            sandbox.close();
        }
    }

    /** Specs whose sandbox started ahead went stale: not started ahead again. */
    private final Set<Key> wentStale = ConcurrentHashMap.newKeySet();
    private final Ahead<Key, Prepared> ahead = new Ahead<>(CAPACITY, this::usable);

    static PreparedAhead of(ExtensionContext context) {
        return context.getRoot().getStore(SandboxedExtension.NAMESPACE)
                .getOrComputeIfAbsent(KEY, k -> new PreparedAhead(), PreparedAhead.class);
    }

    /**
     * When the class of a test that prepared one ends, closes what its tests prepared and waits for what they left to
     * close in the background: nothing of a class outlives it (a later class would rarely take it, and whoever checks
     * after a class finds nothing open). Kept in the class's store, so it works however the extension was registered.
     */
    private record ClassEnd(Ahead<Key, Prepared> ahead, String classId) implements AutoCloseable,
            ExtensionContext.Store.CloseableResource {
        /** Fails the class with the first of its tests' containers that did not close cleanly (others suppressed). */
        @Override
        public void close() {
            ahead.discardFrom(classId);
            ahead.awaitIdle();
            throwFirst(ahead.takeCloseFailures(classId));
        }
    }

    private static void throwFirst(List<RuntimeException> failures) {
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** Closes a test's container off the test's path, on a background thread; a failure fails the test's class. */
    void closeLater(Container container, ExtensionContext context) {
        ahead.closeLater(container, context.getUniqueId(), "the container '" + container.name() + "' of "
                + context.getDisplayName() + " (" + container.id() + ")");
    }

    /** Whether it may be handed out: its init still runs, it is not too old, and a start now would be the same. */
    private boolean usable(Prepared p) {
        if (p.sandbox().state() != Sandbox.State.RUNNING
                || System.nanoTime() - p.startedNanos() > Prestarted.MAX_AGE.toNanos()) {
            return false;
        }
        Optional<String> stale;
        try {
            stale = p.before().staleness(p.key().spec());
        } catch (RuntimeException e) { // a host check that failed: a start of its own is the safe answer
            stale = Optional.of("checking it failed: " + e);
        }
        stale.ifPresent(why -> {
            LOG.log(Level.DEBUG, "a container started ahead is not used, nor started ahead again: " + why);
            wentStale.add(p.key());
        });
        return stale.isEmpty();
    }

    /**
     * Whether the container's own processes can write to the host: a writable bind or directory root. Such a one is
     * closed on the test's path (see the class comment).
     */
    static boolean writesToHost(SandboxSpec spec) {
        boolean directoryRoot = !spec.rootfs().isHost() && !spec.rootfs().isImage();
        return (directoryRoot && !spec.readOnlyRoot())
                || spec.mounts().stream().anyMatch(m -> m instanceof Mount.Bind b && !b.readOnly());
    }

    /** Whether a sandbox for {@code spec} may be started ahead (see the class comment). */
    static boolean eligible(SandboxedSettings settings, SandboxSpec spec) {
        return settings.customizers().isEmpty() && settings.service().isEmpty() && settings.networkContainer().isEmpty()
                && spec.publishedPorts().isEmpty() && spec.exposedHostPorts().isEmpty()
                && spec.joinedNetwork().isEmpty() && spec.network() != NetworkMode.EGRESS && spec.hooks().isEmpty();
    }

    /** The sandbox started ahead for {@code spec}, with the permit it holds; see {@link Ahead#take}. */
    Optional<Ahead.Taken<Sandbox>> take(ExtensionContext context, SandboxRuntime runtime, SandboxSpec spec) {
        return ahead.take(new Key(runtime, spec), context.getUniqueId())
                .map(t -> new Ahead.Taken<>(t.sandbox().sandbox(), t.releasePermit()));
    }

    /** Starts the next sandbox for {@code spec} in the background, if a permit is free. */
    void prepare(ExtensionContext context, ExtensionConfig config, SandboxRuntime runtime, SandboxSpec spec) {
        ExtensionContext testClass = context;
        while (testClass.getTestMethod().isPresent() && testClass.getParent().isPresent()) {
            testClass = testClass.getParent().get(); // past test templates (repeated, parameterized) to the class
        }
        String classId = testClass.getUniqueId(); // in the key: a store lookup also sees an enclosing class's
        testClass.getStore(SandboxedExtension.NAMESPACE).getOrComputeIfAbsent(CLASS_END_KEY + classId,
                k -> new ClassEnd(ahead, classId), ClassEnd.class);
        Key key = new Key(runtime, spec);
        if (wentStale.contains(key)) {
            return;
        }
        ahead.prepare(key, context.getUniqueId(), Runtimes.permits(context, config), () -> {
            long startedNanos = System.nanoTime();
            PreparedFreshness before = PreparedFreshness.before(spec); // before: a change during the start counts
            return new Prepared(PrestartOptOut.during(() -> runtime.start(spec)), key, before, startedNanos);
        });
    }

    /** Closes what waits here, giving back its permits. */
    void discardAll() {
        ahead.discardAll();
    }

    @Override
    public void close() {
        ahead.close();
        throwFirst(ahead.takeCloseFailures("")); // of classes whose end came before their closes were handed over
    }
}
