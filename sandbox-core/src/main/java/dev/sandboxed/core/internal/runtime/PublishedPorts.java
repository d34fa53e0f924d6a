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
 * copy: the mapping ends with the init.
 */
final class PublishedPorts implements AutoCloseable {
    /** One mapping with the host port it got. */
    record Bound(PortMapping mapping, int hostPort) {
    }

    private final List<Bound> bound = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();

    private PublishedPorts() {
    }

    static PublishedPorts none() {
        return new PublishedPorts();
    }

    /** Binds a host socket per mapping; on failure closes those bound so far and names the mapping. */
    static PublishedPorts bind(List<PortMapping> mappings) {
        PublishedPorts ports = new PublishedPorts();
        try {
            for (PortMapping m : mappings) {
                HostSockets.Bound b = HostSockets.bind(m.hostAddress(), m.hostPort(), m.transport() == PortMapping.Transport.UDP,
                        "published port " + m.containerPort() + "/" + m.transport());
                ports.fds.add(b.fd());
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
                socket.send(Message.of(Protocol.K_PUBLISH).putU32(Protocol.F_PORT, m.containerPort()).putU32(
                        Protocol.F_TRANSPORT, m.transport() == PortMapping.Transport.UDP ? Protocol.TRANSPORT_UDP
                                : Protocol.TRANSPORT_TCP), fds.get(i));
            }
        } finally {
            close();
        }
    }

    List<Bound> bound() {
        return List.copyOf(bound);
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
        fds.clear();
    }
}
