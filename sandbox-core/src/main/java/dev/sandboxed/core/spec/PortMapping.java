package dev.sandboxed.core.spec;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sandbox port published on a host loopback port: connections to {@code hostAddress:hostPort} on the host reach
 * {@code 127.0.0.1:containerPort} inside the sandbox (or {@code ::1}, for a TCP server that listens only there).
 * The host port is ephemeral (chosen when the sandbox starts, see {@code Sandbox.mappedPort}) unless one is set.
 * Only loopback host addresses are allowed: a sandbox's ports are for this machine's tests, not for the network.
 */
public final class PortMapping {
    /** How {@link #parse} reads docker's {@code -p}: {@code [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]}. */
    private static final Pattern FORM = Pattern.compile(
            "(?:(?<ip>\\[[0-9A-Fa-f:.]+\\]|[0-9.]+):)??(?:(?<host>[0-9]*):)?(?<container>[0-9]+)(?:/(?<proto>[A-Za-z]+))?");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final String FORMS = "allowed: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp], e.g. 8080, 9000:8080,"
            + " 127.0.0.1::8080/udp";
    private static final String LOOPBACK = "127.0.0.1";

    /** The transport protocol of a mapping. */
    public enum Transport {
        TCP, UDP;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final int containerPort;
    private final Transport transport;
    private final String hostAddress;
    private final int hostPort;

    private PortMapping(int containerPort, Transport transport, String hostAddress, int hostPort) {
        this.containerPort = checkPort(containerPort, "container port", 1);
        this.transport = Objects.requireNonNull(transport, "transport");
        this.hostAddress = checkLoopback(hostAddress);
        this.hostPort = checkPort(hostPort, "host port", 0);
    }

    /** TCP port {@code containerPort} on an ephemeral port of 127.0.0.1. */
    public static PortMapping tcp(int containerPort) {
        return new PortMapping(containerPort, Transport.TCP, LOOPBACK, 0);
    }

    /** UDP port {@code containerPort} on an ephemeral port of 127.0.0.1. */
    public static PortMapping udp(int containerPort) {
        return new PortMapping(containerPort, Transport.UDP, LOOPBACK, 0);
    }

    /** The same mapping on a fixed host port (0: ephemeral); the start fails if the port is taken. */
    public PortMapping withHostPort(int port) {
        return new PortMapping(containerPort, transport, hostAddress, port);
    }

    /**
     * The same mapping on another host address: a loopback IPv4 ({@code 127.x.y.z}) or IPv6 ({@code ::1}) literal.
     */
    public PortMapping withHostAddress(String ip) {
        return new PortMapping(containerPort, transport, ip, hostPort);
    }

    /**
     * Docker's {@code -p} syntax: {@code [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]}; an IPv6 host address in
     * brackets ({@code [::1]:8080:80}). A missing or empty host port is ephemeral.
     *
     * @throws SpecException (field {@code publish}) naming what is wrong and the allowed forms
     */
    public static PortMapping parse(String text) {
        Matcher m = FORM.matcher(Objects.requireNonNull(text, "publish"));
        if (!m.matches()) {
            throw new SpecException("publish", "'" + text + "' is not a port mapping; " + FORMS);
        }
        String proto = m.group("proto");
        Transport transport;
        if (proto == null || proto.equalsIgnoreCase("tcp")) {
            transport = Transport.TCP;
        } else if (proto.equalsIgnoreCase("udp")) {
            transport = Transport.UDP;
        } else {
            throw new SpecException("publish", "'" + text + "': transport '" + proto + "' is not tcp or udp; " + FORMS);
        }
        String ip = m.group("ip");
        if (ip != null && ip.startsWith("[")) {
            ip = ip.substring(1, ip.length() - 1);
        }
        String host = m.group("host");
        return new PortMapping(number(m.group("container"), text), transport, ip == null ? LOOPBACK : ip,
                host == null || host.isEmpty() ? 0 : number(host, text));
    }

    private static int number(String digits, String text) {
        if (digits.length() > 5) {
            throw new SpecException("publish", "'" + text + "': port " + digits + " is not 1..65535; " + FORMS);
        }
        return Integer.parseInt(digits);
    }

    private static int checkPort(int port, String what, int min) {
        if (port < min || port > 65535) {
            throw new SpecException("publish", what + " " + port + " is not " + min + "..65535; " + FORMS);
        }
        return port;
    }

    private static String checkLoopback(String ip) {
        Objects.requireNonNull(ip, "host address");
        Matcher v4 = IPV4.matcher(ip);
        boolean loopback = false;
        if (v4.matches()) {
            loopback = Integer.parseInt(v4.group(1)) == 127;
            for (int i = 2; i <= 4; i++) {
                loopback &= Integer.parseInt(v4.group(i)) <= 255;
            }
        } else {
            loopback = ip.equals("::1") || ip.equals("0:0:0:0:0:0:0:1");
        }
        if (!loopback) {
            throw new SpecException("publish", "host address '" + ip + "' is not a loopback address; allowed: 127.x.y.z"
                    + " or ::1 (published ports are reachable from this machine only)");
        }
        return ip.equals("0:0:0:0:0:0:0:1") ? "::1" : ip;
    }

    public int containerPort() {
        return containerPort;
    }

    public Transport transport() {
        return transport;
    }

    /** The host address the mapping listens on (default 127.0.0.1). */
    public String hostAddress() {
        return hostAddress;
    }

    /** The fixed host port, or 0 for an ephemeral one. */
    public int hostPort() {
        return hostPort;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortMapping p && p.containerPort == containerPort && p.transport == transport
                && p.hostAddress.equals(hostAddress) && p.hostPort == hostPort;
    }

    @Override
    public int hashCode() {
        return Objects.hash(containerPort, transport, hostAddress, hostPort);
    }

    /** In the form {@link #parse} reads, e.g. {@code 127.0.0.1::8080/tcp}. */
    @Override
    public String toString() {
        String ip = hostAddress.contains(":") ? "[" + hostAddress + "]" : hostAddress;
        return ip + ":" + (hostPort == 0 ? "" : hostPort) + ":" + containerPort + "/" + transport;
    }
}
