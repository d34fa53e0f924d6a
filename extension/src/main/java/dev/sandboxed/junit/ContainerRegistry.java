package dev.sandboxed.junit;

import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.junit.internal.cleanup.CleanupSteps;

/**
 * The containers of one scope (a test or a class), and the networks they made, kept in that scope's extension store.
 * Closing it removes the containers according to their cleanup mode, then the networks; JUnit closes it when the
 * scope ends even if afterEach/afterAll never ran.
 */
// CloseableResource is deprecated since JUnit 5.13 (AutoCloseable suffices there); older 5.x versions need it.
@SuppressWarnings("deprecation")
final class ContainerRegistry implements AutoCloseable, ExtensionContext.Store.CloseableResource {
    private static final System.Logger LOG = System.getLogger(ContainerRegistry.class.getName());

    private final String scopeName;
    private final Map<String, Entry> containers = new LinkedHashMap<>();
    private final NetworkRegistry networks;
    private volatile boolean failed;

    /** {@code declared}: what the test's own levels declared for it (see {@link SandboxedSettings#declaredBelowClass}). */
    private record Entry(Container container, CleanupMode cleanup, List<Annotation> declared) {
    }

    ContainerRegistry(String scopeName) {
        this.scopeName = scopeName;
        this.networks = new NetworkRegistry(scopeName);
    }

    /** The networks ({@code net:NAME}) of this scope. */
    NetworkRegistry networks() {
        return networks;
    }

    synchronized Optional<Container> get(String name) {
        return Optional.ofNullable(containers.get(name)).map(Entry::container);
    }

    /**
     * The container called {@code settings.name()}, created by {@code factory} on first use. A later request that
     * declares something of its own must declare what the first did: one name is one container, and a second
     * container needs a name of its own rather than silently getting the first.
     */
    synchronized Container getOrCreate(SandboxedSettings settings, Supplier<Container> factory) {
        String name = settings.name();
        List<Annotation> declared = settings.declaredBelowClass();
        Entry e = containers.get(name);
        if (e == null) {
            CleanupMode cleanup = settings.cleanup();
            e = new Entry(factory.get(), cleanup, declared);
            e.container().keptOnFailure(cleanup == CleanupMode.NEVER || cleanup == CleanupMode.ON_SUCCESS);
            containers.put(name, e);
        } else {
            requireAlike(scopeName, name, e.declared(), declared);
        }
        return e.container();
    }

    /**
     * A later request for container {@code name} of {@code scopeName} either declares nothing of its own (it refers
     * to the container) or what the first one declared.
     */
    static void requireAlike(String scopeName, String name, List<Annotation> first, List<Annotation> later) {
        if (!later.isEmpty() && !later.equals(first)) {
            throw new SandboxedConfigurationException("name", "'" + name + "' already names a container of " + scopeName
                    + " declared with other settings; expected a distinct name for each differently declared container,"
                    + " e.g. @Sandboxed(name = \"second\", ...)");
        }
    }

    synchronized List<Container> containers() {
        return containers.values().stream().map(Entry::container).toList();
    }

    /** A test in this scope failed: ON_SUCCESS containers are kept. */
    void markFailed() {
        failed = true;
    }

    /**
     * Removes every container whose cleanup mode says so, newest first; the others keep running but give back their
     * concurrency permit. Then closes the networks no kept container is on. Returns a line for each one kept.
     * Idempotent.
     */
    List<String> closeContainers() {
        List<Entry> entries;
        synchronized (this) {
            entries = new ArrayList<>(containers.values());
            containers.clear();
        }
        Collections.reverse(entries);
        List<String> kept = new ArrayList<>();
        CleanupSteps steps = new CleanupSteps();
        for (Entry e : entries) {
            boolean keep = e.cleanup() == CleanupMode.NEVER || (e.cleanup() == CleanupMode.ON_SUCCESS && failed);
            if (keep && e.container().isRunning()) {
                e.container().sandbox().keep(); // listed as kept by `sandboxed ps`; `sandboxed rm` may remove it
                String line = "kept " + e.container() + " of " + scopeName + " (cleanup " + e.cleanup() + "); "
                        + e.container().keptHint();
                kept.add(line);
                LOG.log(System.Logger.Level.WARNING, line);
                e.container().releasePermit();
                continue;
            }
            steps.run(e.container()::closeAtScopeEnd);
        }
        // After the containers: closing a network would close its members, whatever their cleanup mode.
        steps.run(() -> kept.addAll(networks.closeNetworks()));
        steps.throwFirstFailure();
        return kept;
    }

    @Override
    public void close() {
        closeContainers();
    }
}
