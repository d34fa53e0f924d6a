package dev.sandboxed.junit;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.internal.runtime.PreparedFreshness;
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
 * helper, no hooks (they run when the test starts the container). One whose host state changed since it was started
 * ({@link PreparedFreshness}: a bind source or directory root deleted and made again, the host's mount table, root
 * directory or seccomp profile file changed, a user name resolving otherwise) is closed, not handed out; the test
 * starts its own.
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

    /** A sandbox started ahead, with what its set-up read on the host just before it. */
    record Prepared(Sandbox sandbox, SandboxSpec spec, PreparedFreshness before) implements AutoCloseable {
        @Override
        public void close() {
            sandbox.close();
        }

        /** Whether it may be handed out: its init still runs, and a start now would give the same sandbox. */
        boolean usable() {
            if (sandbox.state() != Sandbox.State.RUNNING) {
                return false;
            }
            Optional<String> stale = before.staleness(spec);
            stale.ifPresent(why -> LOG.log(Level.DEBUG, "a container started ahead is not used: " + why));
            return stale.isEmpty();
        }
    }

    private final Ahead<Key, Prepared> ahead = new Ahead<>(CAPACITY, Prepared::usable);

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
        ahead.prepare(new Key(runtime, spec), context.getUniqueId(), Runtimes.permits(context, config),
                () -> {
                    PreparedFreshness before = PreparedFreshness.before(spec); // before: a change during it counts
                    return new Prepared(runtime.start(spec), spec, before);
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
