package dev.sandboxed.core.spec;

import java.util.Locale;

/**
 * {@code NONE}: a fresh network namespace with only {@code lo}, up. {@code HOST}: the host's network. {@code EGRESS}:
 * a fresh network namespace plus outbound access through a user-mode network tool of the host ({@code pasta} from
 * Debian's passt, else {@code slirp4netns}), which must be installed; the host's loopback stays unreachable unless
 * {@code SandboxSpec.Builder.egressHostLoopback(true)}.
 */
public enum NetworkMode {
    NONE, HOST, EGRESS;

    public static NetworkMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SpecException("network", "unknown network mode '" + text + "'; allowed: none, host, egress");
        }
    }
}
