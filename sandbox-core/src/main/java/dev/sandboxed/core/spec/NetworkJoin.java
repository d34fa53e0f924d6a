package dev.sandboxed.core.spec;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A network a sandbox joins (see {@code SandboxRuntime.createNetwork}): by the network's name, with extra names
 * (aliases) that resolve to the sandbox's address in every member, as its hostname does.
 */
public record NetworkJoin(String network, List<String> aliases) {
    /** A network's name: lower-case letters, digits, '_', '.' and '-', starting with a letter or digit. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    /** An alias is a hostname: what /etc/hosts and DNS allow, at most 63 bytes. */
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62})");

    public NetworkJoin {
        checkName(network);
        for (String alias : Objects.requireNonNull(aliases, "aliases")) {
            if (alias == null || !ALIAS.matcher(alias).matches()) {
                throw new SpecException("network.aliases", "'" + alias + "' is not a hostname: 1-63 letters, digits, "
                        + "'.' or '-', starting with a letter or digit");
            }
        }
        aliases = List.copyOf(aliases);
    }

    /** Checks a network's name: one line naming the field and what is allowed. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new SpecException("network", "'" + name + "' is not a network name: 1-63 lower-case letters, "
                    + "digits, '_', '.' or '-', starting with a letter or digit");
        }
        return name;
    }
}
