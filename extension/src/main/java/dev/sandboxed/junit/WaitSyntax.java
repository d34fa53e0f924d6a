package dev.sandboxed.junit;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import dev.sandboxed.core.wait.Wait;
import dev.sandboxed.core.wait.WaitStrategy;

/** The {@link Sandboxed#waitFor()} syntax: {@code port:PORT}, {@code log:REGEX}, {@code log*N:REGEX}, ... */
final class WaitSyntax {
    static final String FIELD = "waitFor";
    static final String EXPECTED = "port:PORT (1-65535), log:REGEX, log*N:REGEX (the N-th matching line), "
            + "command:SHELL-SCRIPT or healthcheck";

    private WaitSyntax() {
    }

    static WaitStrategy parse(String text) {
        String t = text.strip();
        int colon = t.indexOf(':');
        String kind = (colon < 0 ? t : t.substring(0, colon)).toLowerCase(Locale.ROOT);
        String value = colon < 0 ? null : t.substring(colon + 1);
        if (kind.equals("healthcheck") && value == null) {
            return Wait.forHealthcheck();
        }
        if (value == null || value.isEmpty()) {
            throw bad(text, colon < 0 ? "is not a wait" : "gives no value after '" + kind + ":'");
        }
        if (kind.equals("port")) {
            try {
                int port = Integer.parseInt(value.strip());
                if (port >= 1 && port <= 65535) {
                    return Wait.forListeningPort(port);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(text, "is not a port between 1 and 65535");
        }
        if (kind.equals("command")) {
            return Wait.forShell(value);
        }
        if (kind.equals("log") || kind.startsWith("log*")) {
            int times = 1;
            if (kind.startsWith("log*")) {
                try {
                    times = Integer.parseInt(kind.substring(4));
                } catch (NumberFormatException e) {
                    times = 0;
                }
                if (times < 1) {
                    throw bad(text, "does not give a positive count N in log*N");
                }
            }
            try {
                return Wait.forLogLine(Pattern.compile(value)).times(times);
            } catch (PatternSyntaxException e) {
                throw bad(text, "has a bad regular expression (" + e.getDescription() + " at index " + e.getIndex() + ")");
            }
        }
        throw bad(text, "is not a wait");
    }

    private static SandboxedConfigurationException bad(String text, String problem) {
        return new SandboxedConfigurationException(FIELD, "'" + text + "' " + problem + "; expected " + EXPECTED);
    }
}
