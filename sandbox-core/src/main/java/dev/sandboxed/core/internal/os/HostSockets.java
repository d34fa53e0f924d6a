package dev.sandboxed.core.internal.os;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.sandboxed.core.result.SandboxException;

/**
 * Raw host sockets handed to a sandbox's init, which forwards their traffic: the JDK's sockets cannot give up their
 * descriptor. Every socket is close-on-exec; the caller closes it once sent.
 */
public final class HostSockets {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int BACKLOG = 4096;

    /** A bound host socket and the port it got. */
    public record Bound(int fd, int port) {
    }

    private HostSockets() {
    }

    /**
     * A TCP socket listening on {@code ip:port} ({@code port} 0: an ephemeral one), or with {@code udp} a UDP socket
     * bound there. {@code ip} is an address literal.
     */
    public static Bound bind(String ip, int port, boolean udp, String purpose) {
        byte[] address = sockaddr(ip, port);
        int family = address.length == 16 ? AF_INET : AF_INET6;
        int fd = Native.libc().socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket for " + purpose);
        }
        try {
            if (!udp) {
                // A port whose last connections linger in TIME_WAIT can be listened on again; a listener still refuses.
                Native.libc().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, new int[] {1}, 4);
            }
            if (Native.libc().bind(fd, address, address.length) < 0) {
                throw Native.failure("bind " + purpose + " to " + display(ip, port));
            }
            if (!udp && Native.libc().listen(fd, BACKLOG) < 0) {
                throw Native.failure("listen on " + display(ip, port) + " for " + purpose);
            }
            byte[] bound = new byte[address.length];
            int[] length = {bound.length};
            if (Native.libc().getsockname(fd, bound, length) < 0) {
                throw Native.failure("read the port of " + purpose);
            }
            int boundPort = ((bound[2] & 0xff) << 8) | (bound[3] & 0xff);
            return new Bound(fd, boundPort);
        } catch (RuntimeException e) {
            Native.close(fd);
            throw e;
        }
    }

    /** A published TCP port's host sockets for the port bypass: a listening one, and its twin of the other family or -1. */
    public record Pair(int fd, int twin, int port) {
    }

    /**
     * For the port bypass (see sandbox-init's bypass.c): a TCP socket listening on {@code ip:port} ({@code port} 0: an
     * ephemeral one) and, for an IPv4 address, a twin of the other family bound to its IPv4-mapped address and the same
     * port, not listening, for a server in the sandbox that binds an IPv6 socket: the init makes it the listening one
     * then. Both are bound to the port explicitly, so a listener that stops listening (shutdown SHUT_RD) keeps it,
     * and both with SO_REUSEADDR, which lets the two share it while at most one listens (a listener of anyone else
     * still refuses either). Without IPv6 on the host there is no twin.
     */
    public static Pair bindPair(String ip, int port, String purpose) {
        byte[] address = sockaddr(ip, port);
        boolean ipv4 = address.length == 16;
        int chosen = port;
        if (port == 0) {
            int probe = socketFor(address.length == 16 ? AF_INET : AF_INET6, purpose);
            try {
                bindTo(probe, address, ip, 0, purpose);
                chosen = boundPort(probe, address.length, purpose);
            } finally {
                Native.close(probe); // nothing listened: the port is free again for the explicit binds below
            }
        }
        int fd = socketFor(ipv4 ? AF_INET : AF_INET6, purpose);
        int twin = -1;
        try {
            bindTo(fd, sockaddr(ip, chosen), ip, chosen, purpose);
            if (ipv4) {
                twin = Native.libc().socket(AF_INET6, SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
                if (twin >= 0) {
                    Native.libc().setsockopt(twin, SOL_SOCKET, SO_REUSEADDR, new int[] {1}, 4);
                    Native.libc().setsockopt(twin, IPPROTO_IPV6, IPV6_V6ONLY, new int[] {0}, 4);
                    byte[] mapped = ipv4Mapped(address, chosen);
                    if (Native.libc().bind(twin, mapped, mapped.length) < 0) {
                        Native.close(twin);
                        twin = -1;
                    }
                }
            }
            if (Native.libc().listen(fd, BACKLOG) < 0) {
                throw Native.failure("listen on " + display(ip, chosen) + " for " + purpose);
            }
            return new Pair(fd, twin, chosen);
        } catch (RuntimeException e) {
            Native.close(fd);
            Native.close(twin);
            throw e;
        }
    }

    /** struct sockaddr_in6 of ::ffff:a.b.c.d (the JDK parses that literal as an IPv4 address). */
    private static byte[] ipv4Mapped(byte[] sockaddrIn, int port) {
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder()).putShort((short) AF_INET6);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0).putLong(0).putInt(0xffff)
                .put(sockaddrIn, 4, 4);
        return b.array();
    }

    private static int socketFor(int family, String purpose) {
        int fd = Native.libc().socket(family, SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket for " + purpose);
        }
        Native.libc().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, new int[] {1}, 4);
        return fd;
    }

    private static void bindTo(int fd, byte[] address, String ip, int port, String purpose) {
        if (Native.libc().bind(fd, address, address.length) < 0) {
            throw Native.failure("bind " + purpose + " to " + display(ip, port));
        }
    }

    private static int boundPort(int fd, int length, String purpose) {
        byte[] bound = new byte[length];
        int[] size = {bound.length};
        if (Native.libc().getsockname(fd, bound, size) < 0) {
            throw Native.failure("read the port of " + purpose);
        }
        return ((bound[2] & 0xff) << 8) | (bound[3] & 0xff);
    }

    /**
     * A non-blocking TCP socket connecting to {@code ip:port} (a published port's host address), as
     * {@link #connectLoopback(int)}.
     */
    public static int connect(String ip, int port) {
        byte[] address = sockaddr(ip, port);
        int fd = Native.libc().socket(address.length == 16 ? AF_INET : AF_INET6,
                SOCK_STREAM | SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        if (Native.libc().connect(fd, address, address.length) < 0 && Native.lastErrno() != EINPROGRESS) {
            int errno = Native.lastErrno();
            Native.close(fd);
            Native.libc().setLastErrno(errno);
            return -1;
        }
        return fd;
    }

    /**
     * A non-blocking TCP socket connecting to {@code 127.0.0.1:port}: connected, or still connecting (whoever gets it
     * waits until it is writable), or -1 with the errno in {@link Native#lastErrno()}.
     */
    public static int connectLoopback(int port) {
        return connect("127.0.0.1", port);
    }

    /**
     * A non-blocking UDP socket connected to {@code 127.0.0.1:port} (on an ephemeral port of its own, so replies reach
     * only it), or -1 with the errno in {@link Native#lastErrno()}.
     */
    public static int connectLoopbackUdp(int port) {
        int fd = Native.libc().socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        byte[] address = sockaddr("127.0.0.1", port);
        if (Native.libc().connect(fd, address, address.length) < 0) {
            int errno = Native.lastErrno();
            Native.close(fd);
            Native.libc().setLastErrno(errno);
            return -1;
        }
        return fd;
    }

    private static final int EINPROGRESS = 115;

    /** struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) of an address literal. */
    static byte[] sockaddr(String ip, int port) {
        InetAddress address;
        try {
            address = InetAddress.getByName(ip); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new SandboxException("'" + ip + "' is not an IP address", e);
        }
        ByteBuffer b;
        if (address instanceof Inet4Address) {
            b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putShort((short) AF_INET);
            b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).put(address.getAddress());
        } else if (address instanceof Inet6Address) {
            b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder()).putShort((short) AF_INET6);
            b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0).put(address.getAddress());
        } else {
            throw new SandboxException("'" + ip + "' is not an IP address", 0);
        }
        return b.array();
    }

    private static String display(String ip, int port) {
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
    }
}
