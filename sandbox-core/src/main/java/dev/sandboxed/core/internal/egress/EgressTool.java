package dev.sandboxed.core.internal.egress;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The user-mode network tools an egress sandbox can use, each attached to the sandbox's network namespace from the
 * host side with the caller's privileges, and what they are told. Both give the same layout inside: {@code tap0} with
 * {@link #GUEST}/24, the default route through {@link #GATEWAY}, and a DNS forwarder on {@link #DNS} (slirp4netns'
 * fixed defaults; pasta is told them). IPv4 only.
 */
public enum EgressTool {
    /** Debian's passt package: splices TCP between sockets rather than running a TCP/IP stack per byte. */
    PASTA("pasta", "passt"),
    /** libslirp: the fallback. */
    SLIRP4NETNS("slirp4netns", "slirp4netns");

    public static final String INTERFACE = "tap0";
    public static final String GUEST = "10.0.2.100";
    public static final String GATEWAY = "10.0.2.2";
    public static final String DNS = "10.0.2.3";

    private final String command;
    private final String debianPackage;

    EgressTool(String command, String debianPackage) {
        this.command = command;
        this.debianPackage = debianPackage;
    }

    public String command() {
        return command;
    }

    public String debianPackage() {
        return debianPackage;
    }

    /**
     * The tool's command line for the sandbox whose user and network namespaces are at these paths. Without {@code hostLoopback}, the gateway
     * address is not mapped to the host's loopback (pasta {@code --no-map-gw}, slirp4netns
     * {@code --disable-host-loopback}). pasta forwards no port in either direction ({@code -t/-u/-T/-U none}): its
     * default {@code auto} would bind the sandbox's listening ports on the host, and make the host's listening
     * loopback ports reachable on the sandbox's own 127.0.0.1.
     */
    public List<String> argv(Path executable, String userns, String netns, boolean hostLoopback, boolean root) {
        List<String> argv = new ArrayList<>();
        argv.add(executable.toString());
        if (this == PASTA) {
            argv.addAll(List.of("--foreground", "--quiet"));
            if (root) {
                argv.addAll(List.of("--runas", "0:0")); // it would switch to nobody, who cannot open the namespaces
            }
            argv.addAll(List.of("--config-net", "--userns", userns, "--netns", netns, "--ns-ifname", INTERFACE,
                    "--ipv4-only", "--address", GUEST, "--netmask", "24", "--gateway", GATEWAY, "--dns-forward", DNS,
                    "-t", "none", "-u", "none", "-T", "none", "-U", "none"));
            if (!hostLoopback) {
                argv.add("--no-map-gw");
            }
        } else {
            argv.addAll(List.of("--configure", "--mtu=65520"));
            if (!hostLoopback) {
                argv.add("--disable-host-loopback");
            }
            argv.addAll(List.of("--userns-path=" + userns, "--netns-type=path", netns, INTERFACE));
        }
        return argv;
    }
}
