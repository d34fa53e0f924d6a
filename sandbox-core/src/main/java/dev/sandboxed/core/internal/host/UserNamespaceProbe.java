package dev.sandboxed.core.internal.host;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Actually creates a user namespace with util-linux's {@code unshare --user --map-root-user true}: the knobs cannot
 * see seccomp filters of container runtimes, LSM policies or a missing CAP_SYS_ADMIN inside containers.
 * The outcome is computed once and shared by every check that needs it.
 */
public final class UserNamespaceProbe {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_DETAIL_CHARS = 300;

    /** What the probe found. */
    public enum Verdict {
        /** A user namespace was created and root mapped in it. */
        USABLE,
        /** Creating one failed; the detail has unshare's error. */
        BLOCKED,
        /** {@code unshare} is not installed or could not be run, so nothing is known. */
        NOT_PROBED
    }

    /**
     * The probe result.
     *
     * @param verdict what was found
     * @param detail  the command and, when it failed, its error output
     */
    public record Outcome(Verdict verdict, String detail) {
    }

    static final List<String> PROBE_ARGS = List.of("--user", "--map-root-user", "true");

    private final HostEnvironment host;
    private final Memo<Outcome> outcome;

    public UserNamespaceProbe(HostEnvironment host) {
        this.host = Objects.requireNonNull(host, "host");
        this.outcome = new Memo<>(this::probe);
    }

    public Outcome outcome() {
        return outcome.get();
    }

    private Outcome probe() {
        Optional<Path> unshare = new ExecutableLocator(host).find("unshare");
        if (unshare.isEmpty()) {
            return new Outcome(Verdict.NOT_PROBED, "unshare (util-linux) not found, so creating a user namespace was not tried");
        }
        String command = "unshare " + String.join(" ", PROBE_ARGS);
        try {
            CommandRunner.Result result = host.commands().run(commandLine(unshare.get()), TIMEOUT);
            if (result.timedOut()) {
                return new Outcome(Verdict.NOT_PROBED, command + " did not finish within " + TIMEOUT.toSeconds() + " s");
            }
            if (result.exitCode() == 0) {
                return new Outcome(Verdict.USABLE, command + " succeeded");
            }
            return new Outcome(Verdict.BLOCKED, command + " failed (exit " + result.exitCode() + "): "
                    + summarize(result.output()));
        } catch (IOException e) {
            return new Outcome(Verdict.NOT_PROBED, "could not run " + command + ": " + e.getMessage());
        }
    }

    private static List<String> commandLine(Path unshare) {
        return Stream.concat(Stream.of(unshare.toString()), PROBE_ARGS.stream()).toList();
    }

    private static String summarize(String output) {
        String oneLine = output.strip().replaceAll("\\s*\\R\\s*", "; ");
        if (oneLine.isEmpty()) {
            return "no error message";
        }
        return oneLine.length() <= MAX_DETAIL_CHARS ? oneLine : oneLine.substring(0, MAX_DETAIL_CHARS) + "...";
    }
}
