package dev.sandboxed.core;

import java.util.Objects;

import dev.sandboxed.core.internal.runtime.RuntimeNetwork;

/**
 * A private network of one runtime ({@link SandboxRuntime#createNetwork}), which sandboxes join by its name
 * ({@link dev.sandboxed.core.spec.SandboxSpec.Builder#joinNetwork}). Each member gets its own network namespace and an
 * address on the network's /24 (a former member's only once that member is gone), reaches the other members by
 * address, hostname or alias, and nothing else: no route to the host (not even its loopback) or beyond. Names resolve
 * through an /etc/hosts of the network's, with no DNS server. No privilege is needed: the bridge lives in a namespace
 * the runtime's own server holds, and goes with it, also when the JVM is killed.
 *
 * <pre>{@code
 * try (Network net = runtime.createNetwork("backend");
 *      Sandbox db = runtime.start(SandboxSpec.builder().hostname("db").joinNetwork("backend").build());
 *      Sandbox app = runtime.start(SandboxSpec.builder().hostname("app").joinNetwork("backend", "api").build())) {
 *     app.exec("sh", "-c", "nc db 5432 </dev/null");
 * }
 * }</pre>
 */
public final class Network implements AutoCloseable {
    private final RuntimeNetwork network;
    private final SandboxRuntime runtime;

    Network(RuntimeNetwork network, SandboxRuntime runtime) {
        this.network = network;
        this.runtime = runtime;
    }

    RuntimeNetwork internal() {
        return network;
    }

    public String name() {
        return network.name();
    }

    /** The network's subnet, e.g. {@code 10.89.1.0/24}. */
    public String subnet() {
        return network.subnet();
    }

    public boolean isClosed() {
        return network.isClosed();
    }

    /**
     * Closes the sandboxes still on the network, then the network: it takes no new members (a start racing the close
     * fails with {@code network 'NAME' was closed}), and its name may be used for a new one. Idempotent.
     */
    @Override
    public void close() {
        runtime.closeNetwork(this);
    }

    @Override
    public String toString() {
        return "Network{" + name() + ", " + subnet() + (isClosed() ? ", closed" : "") + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Network other && other.network == network;
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(network);
    }
}
