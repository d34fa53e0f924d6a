package dev.sandboxed.junit;

import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.wait.ProcessLog;
import dev.sandboxed.core.wait.ReadinessException;
import dev.sandboxed.core.wait.WaitStrategy;

/**
 * A process running in the background in a {@link Container}, from {@link Container#start}. Its stdout and
 * stderr are collected as they come so that a test can wait for a line ({@link #awaitLine}) and still see
 * everything afterwards; write to its {@link #stdin()}.
 *
 * <pre>{@code
 * ContainerProcess server = container.start("busybox", "httpd", "-f", "-v", "-p", "127.0.0.1:8080");
 * server.awaitLine("listening", Duration.ofSeconds(5));
 * }</pre>
 */
public final class ContainerProcess {
    private final Sandbox sandbox;
    private final SandboxProcess process;
    private final ProcessLog log;
    private final Instant started = Instant.now();
    private final int tailLines;

    ContainerProcess(Sandbox sandbox, SandboxProcess process, int tailLines) {
        this.sandbox = sandbox;
        this.process = process;
        this.tailLines = tailLines;
        this.log = ProcessLog.follow(process);
    }

    public List<String> command() {
        return process.command();
    }

    /** The pid inside the sandbox. */
    public int pid() {
        return process.pid();
    }

    /** The process's stdin; close it to send EOF. */
    public OutputStream stdin() {
        return process.stdin();
    }

    /** Everything written to stdout so far (the last 16 MiB of it). */
    public String stdout() {
        return log.stdout();
    }

    /** Everything written to stderr so far (the last 16 MiB of it). */
    public String stderr() {
        return log.stderr();
    }

    /** Its output as the core collects it: lines of both streams in arrival order, for {@link #await} and more. */
    public ProcessLog log() {
        return log;
    }

    /**
     * Waits until {@code wait} is met in this process's container, watching this process: its output is what a
     * log-line wait reads, and its exit fails the wait at once.
     *
     * <pre>{@code
     * server.await(Wait.allOf(Wait.forListeningPort(8080), Wait.forLogLine("started").times(2)));
     * }</pre>
     *
     * @throws ReadinessException when it is not met in time, or the process exits first
     */
    public void await(WaitStrategy wait) {
        wait.awaitOn(sandbox, log);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until a line of stdout or stderr matches {@code regex} (anywhere in the line) and returns it.
     *
     * @throws AwaitTimeoutException when no line matched in time or the process ended first
     */
    public String awaitLine(String regex, Duration timeout) {
        return awaitLine(Pattern.compile(regex), timeout);
    }

    /** As {@link #awaitLine(String, Duration)}. */
    public String awaitLine(Pattern pattern, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<String> line = log.linesFrom(0).stream().filter(l -> pattern.matcher(l).find()).findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            long left = deadline - System.nanoTime();
            boolean ended = log.isClosed();
            if (left <= 0 || ended) {
                Object end = isAlive() ? "streams closed" : process.waitFor(Duration.ZERO).orElse(null);
                String how = ended ? "its output ended (" + end + ")"
                        : "still running after " + timeout.toMillis() + " ms";
                throw new AwaitTimeoutException("no output line of `" + String.join(" ", command()) + "` matched /"
                        + pattern + "/: " + how + "\n" + snapshot().tail(tailLines));
            }
            try {
                log.awaitChange(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AwaitTimeoutException("interrupted while waiting for /" + pattern + "/ from `"
                        + String.join(" ", command()) + "`");
            }
        }
    }

    /** Waits for the process to end and returns its result with all of its output. */
    public ExecResult waitFor() {
        ExitStatus status = process.waitFor();
        return result(status);
    }

    /** Waits at most {@code timeout}; empty while the process is still running. */
    public Optional<ExecResult> waitFor(Duration timeout) {
        return process.waitFor(timeout).map(this::result);
    }

    /** Sends a signal, e.g. 15 for SIGTERM. */
    public void signal(int signal) {
        process.signal(signal);
    }

    /** SIGKILL, then waits for the end; returns the result. */
    public ExecResult kill() {
        process.kill();
        return waitFor();
    }

    /** SIGTERM, up to {@code grace} to exit, then SIGKILL; returns the result. */
    public ExecResult stop(Duration grace) {
        process.signal(15);
        return waitFor(grace).orElseGet(this::kill);
    }

    /** The output so far and, if the process ended, its status; for diagnostics. */
    ExecResult snapshot() {
        ExitStatus status = process.waitFor(Duration.ZERO).orElse(null);
        return new ExecResult(command(), status == null ? new ExitStatus(-1, OptionalInt.empty(),
                ExitReason.EXITED) : status, log.stdoutBytes(), log.stderrBytes(),
                Duration.between(started, Instant.now()));
    }

    private ExecResult result(ExitStatus status) {
        // The pumps finish right after the process's pipes close; give them a moment to collect the last bytes.
        try {
            log.awaitClosed(2_000_000_000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new ExecResult(command(), status, log.stdoutBytes(), log.stderrBytes(), Duration.between(started, Instant.now()));
    }

    @Override
    public String toString() {
        return process.toString();
    }
}
