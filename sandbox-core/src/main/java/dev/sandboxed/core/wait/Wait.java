package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import dev.sandboxed.core.image.Healthcheck;

/**
 * The readiness waits, each with a 60 s timeout ({@link WaitStrategy#withTimeout} changes it):
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.start(spec)) {
 *     ProcessLog server = ProcessLog.follow(sandbox.spawn(ProcessSpec.of("python3", "-m", "http.server", "8000")));
 *     Wait.allOf(Wait.forListeningPort(8000), Wait.forLogLine("Serving HTTP")).awaitOn(sandbox, server);
 * }
 * }</pre>
 */
public final class Wait {
    private Wait() {
    }

    /**
     * A TCP socket (IPv4 or IPv6, any address) listening on {@code port} in the sandbox's network namespace, as the
     * kernel's socket tables show it: works before, and without, publishing the port, and opens no connection. (A
     * sandbox on the host's network sees the host's sockets.)
     */
    public static WaitStrategy forListeningPort(int port) {
        return new PortWait(port, WaitStrategy.DEFAULT_TIMEOUT);
    }

    /**
     * An HTTP GET of {@code path} (such as {@code /health}) through the published mapping of a sandbox port
     * ({@link HttpWait#forPort}; the port must be published), until it answers 200 ({@link HttpWait#forStatusCode}
     * for others), each try within 5 s. Plain HTTP unless {@link HttpWait#usingTls()}; a self-signed certificate
     * needs {@link HttpWait#allowInsecure()}. On Java 21+ the wait closes its connection when it returns; on Java 17
     * the JDK keeps it open until its keep-alive timeout, which a server that serves one connection at a time (Python's
     * {@code HTTPServer} with HTTP/1.1) spends on it.
     */
    public static HttpWait forHttp(String path) {
        return new HttpWait(path, 0, new int[] {200}, null, "GET", false, false, WaitStrategy.DEFAULT_TIMEOUT);
    }

    /** A line of the watched process's stdout or stderr in which {@code regex} is found; {@code .times(n)} for more. */
    public static LogLineWait forLogLine(Pattern regex) {
        return new LogLineWait(regex, 1, 0, WaitStrategy.DEFAULT_TIMEOUT);
    }

    /** As {@link #forLogLine(Pattern)}. */
    public static LogLineWait forLogLine(String regex) {
        return forLogLine(Pattern.compile(regex));
    }

    /** {@code argv} exec'd in the sandbox, every 250 ms, until it exits 0. */
    public static WaitStrategy forCommand(String... argv) {
        Objects.requireNonNull(argv, "argv");
        return new CommandWait(List.of(argv), WaitStrategy.DEFAULT_TIMEOUT);
    }

    /** {@code script} run with {@code /bin/sh -c} until it exits 0. */
    public static WaitStrategy forShell(String script) {
        return forCommand("/bin/sh", "-c", script);
    }

    /**
     * The HEALTHCHECK of the sandbox's image, run as Docker runs it (interval, timeout per try, retries, start period);
     * fails at once where the root is not an image with one.
     */
    public static WaitStrategy forHealthcheck() {
        return new HealthcheckWait(Optional.empty(), WaitStrategy.DEFAULT_TIMEOUT);
    }

    /** A health check of your own, run as {@link #forHealthcheck()} runs the image's. */
    public static WaitStrategy forHealthcheck(Healthcheck check) {
        return new HealthcheckWait(Optional.of(check), WaitStrategy.DEFAULT_TIMEOUT);
    }

    /**
     * All of {@code waits}, one after the other, each within its own timeout; this one's timeout (the longest of
     * theirs, unless changed) bounds them all.
     */
    public static WaitStrategy allOf(WaitStrategy... waits) {
        List<WaitStrategy> list = List.of(waits);
        if (list.isEmpty()) {
            throw new IllegalArgumentException("allOf needs at least one wait");
        }
        Duration longest = list.stream().map(WaitStrategy::timeout).max(Duration::compareTo).orElseThrow();
        return new AllOfWait(list, longest);
    }
}
