package dev.sandboxed.junit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import dev.sandboxed.core.Network;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.junit.internal.cleanup.CleanupSteps;

/**
 * The runtime networks of one scope (a test or a class) that its containers name with {@code network = "net:NAME"},
 * held by that scope's {@link ContainerRegistry} (the store's closeable resource), which closes them after its
 * containers. Runtime network names are per JVM and tests run in parallel, so each scope's NAME maps to a runtime
 * network of its own: NAME plus a counter.
 */
final class NetworkRegistry {
    private static final System.Logger LOG = System.getLogger(NetworkRegistry.class.getName());
    /** The longest runtime network name (see {@code NetworkJoin}). */
    private static final int MAX_NAME = 63;
    private static final AtomicLong COUNTER = new AtomicLong();

    private final String scopeName;
    private final Map<String, Scoped> networks = new LinkedHashMap<>();

    private record Scoped(Network network, SandboxRuntime runtime) {
    }

    NetworkRegistry(String scopeName) {
        this.scopeName = scopeName;
    }

    /** The runtime network this scope made for the test's {@code name}, if any. */
    synchronized Optional<Network> get(String name) {
        return Optional.ofNullable(networks.get(name)).map(Scoped::network);
    }

    /** The runtime network for the test's {@code name}, made in {@code runtime} on first use. */
    synchronized Network getOrCreate(String name, SandboxRuntime runtime) {
        Scoped s = networks.get(name);
        if (s == null) {
            String suffix = "-" + COUNTER.incrementAndGet();
            String unique = name.substring(0, Math.min(name.length(), MAX_NAME - suffix.length())) + suffix;
            s = new Scoped(runtime.createNetwork(unique), runtime);
            networks.put(name, s);
        }
        return s.network();
    }

    /**
     * Closes the networks, newest first, once the scope's containers are closed. A network with a member still
     * running (a container kept by its cleanup mode) is kept for it: closing it would close that member. Idempotent.
     */
    List<String> closeNetworks() {
        List<Scoped> all;
        synchronized (this) {
            all = new ArrayList<>(networks.values());
            networks.clear();
        }
        Collections.reverse(all);
        List<String> kept = new ArrayList<>();
        CleanupSteps steps = new CleanupSteps();
        for (Scoped s : all) {
            boolean inUse = s.runtime().openSandboxes().stream().anyMatch(sandbox -> sandbox.spec().joinedNetwork()
                    .map(j -> j.network().equals(s.network().name())).orElse(false));
            if (inUse) {
                String line = "kept " + s.network() + " of " + scopeName + " for its kept containers";
                kept.add(line);
                LOG.log(System.Logger.Level.WARNING, line);
                continue;
            }
            steps.run(s.network()::close);
        }
        steps.throwFirstFailure();
        return kept;
    }
}
