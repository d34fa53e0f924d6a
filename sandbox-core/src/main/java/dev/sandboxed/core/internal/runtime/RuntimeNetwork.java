package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandboxed.core.internal.network.HostsFile;
import dev.sandboxed.core.internal.network.Subnets;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.SandboxException;

/**
 * A network as the runtime keeps it: a bridge in a network namespace that only the sandbox-init server's descriptors
 * hold (so it dies with the server, even by kill -9), a /24 of this JVM's, the addresses handed out (never one twice:
 * a member's namespace is torn down asynchronously and would answer for a reused address), and the members' hosts file
 * in a state entry of its own (a dead JVM's is removed as its sandboxes' are).
 */
public final class RuntimeNetwork {
    private static final AtomicInteger IDS = new AtomicInteger();
    /** Host numbers 2 to 254 of the /24: .0 and .255 are the subnet's own, .1 is left for a gateway. */
    private static final int FIRST_HOST = 2;
    private static final int LAST_HOST = 254;
    private static final String RESOLV_CONF = "# sandboxed network: names come from /etc/hosts only\n"
            + "options ndots:0 attempts:1 timeout:1\n";

    private final int id;
    private final String name;
    private final int subnet;
    private final InitServer server;
    private final StateDirectory.Entry state;
    private final HostsFile hosts;
    private final Path resolvConf;
    private int nextHost = FIRST_HOST;
    private boolean closed;

    private RuntimeNetwork(int id, String name, int subnet, InitServer server, StateDirectory.Entry state,
            HostsFile hosts, Path resolvConf) {
        this.id = id;
        this.name = name;
        this.subnet = subnet;
        this.server = server;
        this.state = state;
        this.hosts = hosts;
        this.resolvConf = resolvConf;
    }

    /** A member of the network: its address, and its line in the hosts file until it leaves. */
    public static final class Member {
        private final RuntimeNetwork network;
        private final String address;
        private final long line;
        private boolean left;

        private Member(RuntimeNetwork network, String address, long line) {
            this.network = network;
            this.address = address;
            this.line = line;
        }

        public RuntimeNetwork network() {
            return network;
        }

        public String address() {
            return address;
        }

        /** Its names no longer resolve; its address is never handed out again. */
        public void leave() {
            synchronized (network) {
                if (!left) {
                    left = true;
                    network.hosts.remove(line);
                }
            }
        }
    }

    /** Makes the network in {@code server}: its subnet, its state entry and files, then the bridge. */
    public static RuntimeNetwork create(String name, InitServer server, StateDirectory stateDirectory) {
        int id = IDS.incrementAndGet();
        int subnet = Subnets.take();
        StateDirectory.Entry state = null;
        HostsFile hosts = null;
        try {
            state = stateDirectory.create("net-" + ProcessHandle.current().pid() + "-" + id);
            hosts = HostsFile.create(state.directory());
            Path resolv = state.directory().resolve("resolv.conf");
            Files.writeString(resolv, RESOLV_CONF, StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(resolv, PosixFilePermissions.fromString("rw-r--r--"));
            boolean root = Native.uid() == 0;
            server.createNetwork(id, root ? null : "deny", "0 " + Native.uid() + " 1", "0 " + Native.gid() + " 1");
            return new RuntimeNetwork(id, name, subnet, server, state, hosts, resolv);
        } catch (IOException | RuntimeException e) {
            if (hosts != null) {
                hosts.close();
            }
            if (state != null) {
                state.remove();
            }
            Subnets.release(subnet);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("create network '" + name + "': " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The network's subnet, e.g. {@code 10.89.1.0/24}. */
    public String subnet() {
        return Subnets.address(subnet, 0) + "/" + Subnets.PREFIX;
    }

    public int prefix() {
        return Subnets.PREFIX;
    }

    InitServer server() {
        return server;
    }

    public Path hostsFile() {
        return hosts.path();
    }

    public Path resolvConf() {
        return resolvConf;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * A new member: the next address (never one handed out before) with {@code names} resolving to it in every
     * member, from now on (its line is written before the member exists, so the member resolves its own names).
     */
    public synchronized Member join(List<String> names) {
        if (closed) {
            throw new SandboxException("join network '" + name + "': the network is closed and takes no new members", 0);
        }
        if (nextHost > LAST_HOST) {
            throw new SandboxException("join network '" + name + "': all " + (LAST_HOST - FIRST_HOST + 1)
                    + " addresses of " + subnet() + " were handed out (an address is never reused in a network's life)",
                    0);
        }
        String address = Subnets.address(subnet, nextHost++);
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(names));
        return new Member(this, address, hosts.add(address, unique));
    }

    /**
     * Takes no new members, and lets the server drop the network: its namespace goes with the server's socket (a
     * veth holds no reference), and members still on it would lose their eth0, so the caller closes them first.
     */
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (!server.hasDied()) {
                server.removeNetwork(id);
            }
        } finally {
            hosts.close();
            state.remove();
            Subnets.release(subnet);
        }
    }
}
