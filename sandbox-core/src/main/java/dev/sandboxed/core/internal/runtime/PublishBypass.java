package dev.sandboxed.core.internal.runtime;

import java.util.Locale;

import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/**
 * {@code sandboxed.publish.bypass}: whether a server in a sandbox that binds a published TCP port gets the host's
 * listening socket itself (sandbox-init's bypass.c), so its clients reach it over one loopback connection instead
 * of two with the init splicing between. {@code auto}: where seccomp is on, the host has user notification with
 * ADDFD (Linux 5.9) and the profile always allows bind; else the proxy, as with {@code off} (the default).
 *
 * <p>Off by default: the server then holds host sockets, and a connection it accepted can be disconnected
 * (connect with AF_UNSPEC) and connected again, to any port of the host's loopback; a workload trusted not to try
 * gains the throughput. Read at each start.
 */
final class PublishBypass {
    static final String PROPERTY = "sandboxed.publish.bypass";

    private PublishBypass() {
    }

    /** Whether to ask for the bypass for this spec: {@code auto} and a published TCP port. */
    static boolean wanted(SandboxSpec spec) {
        return parse(System.getProperty(PROPERTY)) && spec.publishedPorts().stream()
                .anyMatch(p -> p.transport() == PortMapping.Transport.TCP);
    }

    /** {@code auto} or {@code off} (blank or absent: off); anything else fails naming the property. */
    static boolean parse(String value) {
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> true;
            case "off" -> false;
            default -> throw new SpecException(PROPERTY, "'" + value + "'; allowed: auto, off");
        };
    }
}
