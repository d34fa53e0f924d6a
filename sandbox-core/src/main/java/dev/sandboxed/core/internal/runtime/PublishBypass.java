package dev.sandboxed.core.internal.runtime;

import java.util.Locale;

import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/**
 * {@code sandboxed.publish.bypass}: whether a server in a sandbox that binds a published TCP port gets the host's
 * listening socket itself (sandbox-init's bypass.c), so its clients reach it over one loopback connection instead
 * of two with the init splicing between. {@code auto}: where seccomp is on, the host has user notification with
 * ADDFD and SO_NETNS_COOKIE (Linux 5.14) and the profile always allows bind and connect and never io_uring (the
 * default); else the proxy, as with {@code off}.
 *
 * <p>The server then holds host sockets, and a connection it accepted could be disconnected (connect with AF_UNSPEC)
 * and connected again, to any port of the host's loopback: so the filter sends every connect to the init, which
 * refuses it on a host socket and makes every other one itself (sandbox-init's sockcall.c). Read at each start.
 */
final class PublishBypass {
    static final String PROPERTY = "sandboxed.publish.bypass";

    private PublishBypass() {
    }

    /**
     * Below this pids limit the proxy serves: with the bypass each stream connect in progress takes one more process
     * of the sandbox (the init's helper that connects in the caller's context), and a tight limit would make the
     * workload's own connects fail with EAGAIN where the kernel's would not.
     */
    static final long MIN_PIDS = 64;

    /** Whether to ask for the bypass for this spec: {@code auto}, a published TCP port and room for its helpers. */
    static boolean wanted(SandboxSpec spec) {
        return parse(System.getProperty(PROPERTY))
                && spec.publishedPorts().stream().anyMatch(p -> p.transport() == PortMapping.Transport.TCP)
                && spec.limits().pidsMax().orElse(Long.MAX_VALUE) >= MIN_PIDS;
    }

    /** {@code auto} or {@code off} (blank or absent: auto); anything else fails naming the property. */
    static boolean parse(String value) {
        if (value == null || value.isBlank()) {
            return true;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> true;
            case "off" -> false;
            default -> throw new SpecException(PROPERTY, "'" + value + "'; allowed: auto, off");
        };
    }
}
