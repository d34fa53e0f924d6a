package dev.sandboxed.core.internal.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import dev.sandboxed.core.internal.os.HostSockets;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.spec.PortMapping;

/**
 * A sandbox's published ports: the host sockets, bound before anything else of the sandbox exists (a fixed port in
 * use fails the start first), then handed to its init, which accepts on them and connects inside. The JVM keeps no
 * copy: the mapping ends with the init. With the port bypass each TCP mapping gets a pair ({@link HostSockets#bindPair})
 * that a server in the sandbox may take from the init.
 */
final class PublishedPorts implements AutoCloseable {
    /** One mapping with the host port it got. */
    record Bound(PortMapping mapping, int hostPort) {
    }

    private final List<Bound> bound = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();
    /** The twin socket of each mapping with the bypass, else -1. */
    private final List<Integer> twins = new ArrayList<>();
    private boolean bypass;

    private PublishedPorts() {
    }

    static PublishedPorts none() {
        return new PublishedPorts();
    }

    /** Binds a host socket per mapping; on failure closes those bound so far and names the mapping. */
    static PublishedPorts bind(List<PortMapping> mappings) {
        return bind(mappings, false);
    }

    /** As {@link #bind(List)}; with {@code bypass}, TCP mappings get a pair for the port bypass. */
    static PublishedPorts bind(List<PortMapping> mappings, boolean bypass) {
        PublishedPorts ports = new PublishedPorts();
        ports.bypass = bypass;
        try {
            for (PortMapping m : mappings) {
                String purpose = "published port " + m.containerPort() + "/" + m.transport();
                boolean udp = m.transport() == PortMapping.Transport.UDP;
                if (bypass && !udp) {
                    HostSockets.Pair p = HostSockets.bindPair(m.hostAddress(), m.hostPort(), purpose);
                    ports.fds.add(p.fd());
                    ports.twins.add(p.twin());
                    ports.bound.add(new Bound(m, p.port()));
                    continue;
                }
                HostSockets.Bound b = HostSockets.bind(m.hostAddress(), m.hostPort(), udp, purpose);
                ports.fds.add(b.fd());
                ports.twins.add(-1);
                ports.bound.add(new Bound(m, b.port()));
            }
            return ports;
        } catch (RuntimeException e) {
            ports.close();
            throw e;
        }
    }

    /** Hands every host socket to the init (K_PUBLISH) and closes this process's copies. */
    void sendTo(ControlSocket socket) {
        try {
            for (int i = 0; i < bound.size(); i++) {
                PortMapping m = bound.get(i).mapping();
                boolean udp = m.transport() == PortMapping.Transport.UDP;
                Message publish = Message.of(Protocol.K_PUBLISH).putU32(Protocol.F_PORT, m.containerPort())
                        .putU32(Protocol.F_TRANSPORT, udp ? Protocol.TRANSPORT_UDP : Protocol.TRANSPORT_TCP);
                if (bypass && !udp) {
                    publish.putU32(Protocol.F_BYPASS, 1);
                    if (twins.get(i) >= 0) {
                        socket.send(publish, fds.get(i), twins.get(i));
                        continue;
                    }
                }
                socket.send(publish, fds.get(i));
            }
        } finally {
            close();
        }
    }

    List<Bound> bound() {
        return List.copyOf(bound);
    }

    /** Whether TCP mappings were bound for the port bypass. */
    boolean bypass() {
        return bypass;
    }

    /** The host port of a published sandbox port; IllegalArgumentException naming the published ones otherwise. */
    Bound find(int containerPort, PortMapping.Transport transport) {
        for (Bound b : bound) {
            if (b.mapping().containerPort() == containerPort && b.mapping().transport() == transport) {
                return b;
            }
        }
        throw new IllegalArgumentException(containerPort + "/" + transport + " is not published; published: "
                + (bound.isEmpty() ? "none" : bound.stream().map(b -> b.mapping().containerPort() + "/" + b.mapping().transport())
                        .collect(Collectors.joining(", "))) + " (SandboxSpec.Builder.publish)");
    }

    @Override
    public void close() {
        for (int fd : fds) {
            Native.close(fd);
        }
        for (int fd : twins) {
            Native.close(fd);
        }
        fds.clear();
        twins.clear();
    }
}
