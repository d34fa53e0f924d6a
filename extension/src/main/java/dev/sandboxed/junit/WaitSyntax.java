package dev.sandboxed.junit;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

import dev.sandboxed.core.wait.HttpWait;
import dev.sandboxed.core.wait.Wait;
import dev.sandboxed.core.wait.WaitStrategy;

/** The {@link Sandboxed#waitFor()} syntax: {@code port:PORT}, {@code log:REGEX}, {@code log*N:REGEX}, ... */
final class WaitSyntax {
    static final String FIELD = "waitFor";
    static final String EXPECTED = "port:PORT (1-65535), log:REGEX, log*N:REGEX (the N-th matching line), "
            + "command:SHELL-SCRIPT, healthcheck or http:PORT[/PATH][=STATUS[,STATUS...]]";

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
        if (kind.equals("http")) {
            return http(text, value.strip());
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

    /** {@code PORT[/PATH][=STATUS[,STATUS...]]}; a {@code =} followed by other than status codes is part of the path. */
    private static HttpWait http(String text, String value) {
        String statuses = null;
        int eq = value.lastIndexOf('=');
        if (eq >= 0 && value.substring(eq + 1).matches("[0-9]{1,3}(,[0-9]{1,3})*")) {
            statuses = value.substring(eq + 1);
            value = value.substring(0, eq);
        }
        int slash = value.indexOf('/');
        String portText = slash < 0 ? value : value.substring(0, slash);
        String path = slash < 0 ? "/" : value.substring(slash);
        int port;
        try {
            port = portText.length() > 5 ? 0 : Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = 0;
        }
        if (port < 1 || port > 65535) {
            throw bad(text, "does not start with a port between 1 and 65535");
        }
        try {
            HttpWait wait = Wait.forHttp(path).forPort(port);
            if (statuses != null) {
                wait = wait.forStatusCode(Stream.of(statuses.split(",")).mapToInt(Integer::parseInt).toArray());
            }
            return wait;
        } catch (IllegalArgumentException e) {
            throw bad(text, "has a bad " + e.getMessage());
        }
    }

    private static SandboxedConfigurationException bad(String text, String problem) {
        return new SandboxedConfigurationException(FIELD, "'" + text + "' " + problem + "; expected " + EXPECTED);
    }
}
