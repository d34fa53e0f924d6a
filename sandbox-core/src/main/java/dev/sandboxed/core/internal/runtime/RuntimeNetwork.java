package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.network.HostsFile;
import dev.sandboxed.core.internal.network.Subnets;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * A network as the runtime keeps it: a bridge in a network namespace that only the sandbox-init server's descriptors
 * hold (so it dies with the server, even by kill -9), a /24 of this JVM's, its addresses, a few member namespaces
 * prepared ahead ("slots"), and the members' hosts file in a state entry of its own (a dead JVM's is removed as its
 * sandboxes' are).
 *
 * <p>Addresses: a fresh one while any is left, then the one whose member left longest ago. The server gives a
 * former member's address again only once that member's veth is gone (its namespace would still answer ARP), and a
 * member's MAC follows from its address, so the other members' neighbour caches stay right.
 *
 * <p>Slots: a slot is a user and network namespace with eth0 up on the bridge and its address set, made by the
 * server in the background and held here as two descriptors. A member with the slots' id mapping joins one (as a
 * sandbox sharing another's network does) instead of getting a new namespace and veth on its start: that work is
 * off the start path. The descriptors are the slots' only holders: they go when the network closes, and with the
 * JVM (kill -9 too); the kernel then tears the namespaces and veths down.
 */
public final class RuntimeNetwork {
    private static final System.Logger LOG = System.getLogger(RuntimeNetwork.class.getName());
    private static final AtomicInteger IDS = new AtomicInteger();
    /** Host numbers 2 to 254 of the /24: .0 and .255 are the subnet's own, .1 is left for a gateway. */
    private static final int FIRST_HOST = 2;
    private static final int LAST_HOST = 254;
    /** Slots kept ready: the members of a typical test (a service and its client) start without waiting. */
    private static final int SLOTS = 2;
    /** Makes slots for every network, one at a time, at low priority. */
    private static final ExecutorService SLOT_MAKER = DaemonPool.background("sandboxed-network-slots");
    private static final String RESOLV_CONF = "# sandboxed network: names come from /etc/hosts only\n"
            + "options ndots:0 attempts:1 timeout:1\n";

    private final int id;
    private final String name;
    private final int subnet;
    private final InitServer server;
    private final StateDirectory.Entry state;
    private final HostsFile hosts;
    private final Path resolvConf;
    /** The id mapping slots are made with: the default spec's, when it needs no helper (newuidmap). */
    private final Optional<IdMapPlan> slotIds;
    private int nextHost = FIRST_HOST;
    private final ArrayDeque<Integer> freed = new ArrayDeque<>();
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private int slotsUnderway;
    private final Set<Member> admitted = new LinkedHashSet<>();
    private boolean closed;

    private RuntimeNetwork(int id, String name, int subnet, InitServer server, StateDirectory.Entry state,
            HostsFile hosts, Path resolvConf, Optional<IdMapPlan> slotIds) {
        this.id = id;
        this.name = name;
        this.subnet = subnet;
        this.server = server;
        this.state = state;
        this.hosts = hosts;
        this.resolvConf = resolvConf;
        this.slotIds = slotIds;
    }

    /** A prepared member namespace: its address and the descriptors of its user and network namespaces. */
    private record Slot(int host, int userNs, int netNs) {
        void close() {
            Native.close(userNs);
            Native.close(netNs);
        }
    }

    /** A member of the network: its address, its line in the hosts file until it leaves, and its slot, if any. */
    public static final class Member {
        private final RuntimeNetwork network;
        private final int host;
        private final long line;
        private Slot slot;
        private Runnable closer;
        private boolean left;

        private Member(RuntimeNetwork network, int host, long line, Slot slot) {
            this.network = network;
            this.host = host;
            this.line = line;
            this.slot = slot;
        }

        public RuntimeNetwork network() {
            return network;
        }

        public String address() {
            return Subnets.address(network.subnet, host);
        }

        /** The [user, network] namespace descriptors of the slot it joins, or empty to get its own namespace. */
        public Optional<int[]> slotNamespaces() {
            synchronized (network) {
                return Optional.ofNullable(slot).map(s -> new int[] {s.userNs(), s.netNs()});
            }
        }

        /** Closes this JVM's descriptors of its slot: once its init joined them, or when the start failed. */
        public void releaseSlot() {
            synchronized (network) {
                dropSlot();
            }
        }

        /**
         * Its slot's descriptors closed, and another slot made in its place. Not before: the server makes one request
         * at a time, and a slot made while this member's create request waits would hold up its start.
         */
        private void dropSlot() {
            if (slot != null) {
                slot.close();
                slot = null;
                network.refill();
            }
        }

        /**
         * The member started: from now on the network's close closes it with {@code close}. False when the network
         * was closed meanwhile: then the caller closes it and fails the start ({@link #closedWhileStarting}).
         */
        public boolean admit(Runnable close) {
            synchronized (network) {
                if (network.closed) {
                    return false;
                }
                closer = close;
                network.admitted.add(this);
                return true;
            }
        }

        /** Its names no longer resolve, and its address is free again once its veth is gone. */
        public void leave() {
            synchronized (network) {
                if (left) {
                    return;
                }
                left = true;
                network.admitted.remove(this);
                dropSlot();
                network.hosts.remove(line);
                network.freed.addLast(host);
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
            boolean root = OwnIds.uid() == 0;
            server.createNetwork(id, root ? null : "deny", "0 " + OwnIds.uid() + " 1", "0 " + OwnIds.gid() + " 1");
            IdMapPlan defaults = IdMapPlan.forSpec(SandboxSpec.defaults(), HostFacts.current());
            Optional<IdMapPlan> slotIds = defaults.uidMapCommand().isEmpty() ? Optional.of(defaults) : Optional.empty();
            RuntimeNetwork network = new RuntimeNetwork(id, name, subnet, server, state, hosts, resolv, slotIds);
            network.refill();
            return network;
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

    /** The failure of a start that raced the network's close: one line, whatever step the close cut short. */
    public SandboxException closedWhileStarting(Throwable cause) {
        SandboxException e = new SandboxException("network '" + name + "' was closed", 0);
        if (cause != null) {
            e.addSuppressed(cause);
        }
        return e;
    }

    /**
     * A new member: a prepared slot when one with its id mapping {@code ids} is ready (and {@code canJoinSlot}),
     * else the next address; {@code names} resolve to its address in every member from now on (its line is
     * written before the member exists, so it resolves its own names).
     */
    public synchronized Member join(List<String> names, IdMapPlan ids, boolean canJoinSlot) {
        if (closed) {
            throw closedWhileStarting(null);
        }
        Slot slot = canJoinSlot && slotIds.isPresent() && slotIds.get().equals(ids) ? slots.pollFirst() : null;
        int host = slot != null ? slot.host() : takeHost();
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(names));
        return new Member(this, host, hosts.add(Subnets.address(subnet, host), unique), slot);
    }

    /** A fresh host number while any is left, then the one freed longest ago. */
    private int takeHost() {
        if (nextHost <= LAST_HOST) {
            return nextHost++;
        }
        Integer host = freed.pollFirst();
        if (host == null) {
            throw new SandboxException("network '" + name + "' is full: all its " + (LAST_HOST - FIRST_HOST + 1)
                    + " addresses (" + subnet() + ") are in use; close a member first", 0);
        }
        return host;
    }

    /** Has the slot maker top the slots up, as addresses allow. */
    private void refill() {
        while (slotIds.isPresent() && !closed && slots.size() + slotsUnderway < SLOTS) {
            slotsUnderway++;
            SLOT_MAKER.execute(this::makeSlot);
        }
    }

    private void makeSlot() {
        int host;
        synchronized (this) {
            if (closed || nextHost > LAST_HOST && freed.isEmpty()) {
                slotsUnderway--;
                return;
            }
            host = takeHost();
        }
        int[] ns = null;
        try {
            ns = server.prepareSlot(id, Subnets.address(subnet, host), Subnets.PREFIX, slotIds.get());
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "no slot for network " + name + ": " + e.getMessage());
        }
        synchronized (this) {
            slotsUnderway--;
            if (ns == null || closed) {
                if (ns != null) {
                    new Slot(host, ns[0], ns[1]).close();
                }
                freed.addLast(host);
                return;
            }
            slots.addLast(new Slot(host, ns[0], ns[1]));
        }
    }

    /** Waits until the slot maker is idle (for tests and {@code awaitIdle}). */
    public static void awaitSlots() {
        DaemonPool.awaitIdle(SLOT_MAKER);
    }

    /**
     * Takes no new members, closes the admitted ones, then lets the server drop the network: its namespace goes with
     * the server's socket (a veth holds no reference). A member still starting is not admitted any more: its start
     * fails with {@link #closedWhileStarting}. The slots' descriptors are closed, so their namespaces go too.
     */
    public void close() {
        List<Member> members;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            members = List.copyOf(admitted);
            slots.forEach(Slot::close);
            slots.clear();
        }
        try {
            for (Member m : members) {
                m.closer.run();
            }
        } finally {
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
}
