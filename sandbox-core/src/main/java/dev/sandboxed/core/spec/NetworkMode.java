package dev.sandboxed.core.spec;

import java.util.Locale;

/** {@code NONE}: a fresh network namespace with only {@code lo}, up. {@code HOST}: the host's network. */
public enum NetworkMode {
    NONE, HOST;

    public static NetworkMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SpecException("network", "unknown network mode '" + text + "'; allowed: none, host");
        }
    }
}
