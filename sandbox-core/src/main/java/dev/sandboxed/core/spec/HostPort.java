package dev.sandboxed.core.spec;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A port of the host's {@code 127.0.0.1} made reachable inside a sandbox as {@code host.sandboxed.internal:PORT}
 * (see {@link SandboxSpec.Builder#exposeHostPort(HostPort...)}): TCP connections, or UDP datagrams whose replies
 * come back to each client.
 *
 * @param port      1..65535
 * @param transport TCP or UDP
 */
public record HostPort(int port, PortMapping.Transport transport) {
    private static final Pattern FORM = Pattern.compile("(?<port>[0-9]{1,5})(?:/(?<proto>[A-Za-z]+))?");
    private static final String FORMS = "allowed: PORT[/tcp|/udp], e.g. 9090, 5353/udp";

    /** @throws SpecException (field {@code exposeHostPort}) for a port outside 1..65535 */
    public HostPort {
        Objects.requireNonNull(transport, "transport");
        if (port < 1 || port > 65535) {
            throw new SpecException("exposeHostPort", "port " + port + " is not 1..65535");
        }
    }

    public static HostPort tcp(int port) {
        return new HostPort(port, PortMapping.Transport.TCP);
    }

    public static HostPort udp(int port) {
        return new HostPort(port, PortMapping.Transport.UDP);
    }

    /**
     * {@code PORT[/tcp|/udp]}, TCP without a suffix, as {@code --expose-host-port} takes it.
     *
     * @throws SpecException (field {@code exposeHostPort}) naming what is wrong and the allowed forms
     */
    public static HostPort parse(String text) {
        Matcher m = FORM.matcher(Objects.requireNonNull(text, "exposeHostPort"));
        if (!m.matches()) {
            throw new SpecException("exposeHostPort", "'" + text + "' is not a host port; " + FORMS);
        }
        String proto = m.group("proto");
        PortMapping.Transport transport;
        if (proto == null || proto.equalsIgnoreCase("tcp")) {
            transport = PortMapping.Transport.TCP;
        } else if (proto.equalsIgnoreCase("udp")) {
            transport = PortMapping.Transport.UDP;
        } else {
            throw new SpecException("exposeHostPort", "'" + text + "': transport '" + proto.toLowerCase(Locale.ROOT)
                    + "' is not tcp or udp; " + FORMS);
        }
        int port = Integer.parseInt(m.group("port"));
        if (port < 1 || port > 65535) {
            throw new SpecException("exposeHostPort", "'" + text + "': port " + port + " is not 1..65535; " + FORMS);
        }
        return new HostPort(port, transport);
    }

    /** {@code 9090/tcp}, {@code 5353/udp}: what {@link #parse} reads back. */
    @Override
    public String toString() {
        return port + "/" + transport;
    }
}
