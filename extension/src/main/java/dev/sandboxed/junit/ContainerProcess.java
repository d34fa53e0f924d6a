package dev.sandboxed.junit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;

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
    private final SandboxProcess process;
    private final OutputLog stdout = new OutputLog();
    private final OutputLog stderr = new OutputLog();
    private final Instant started = Instant.now();
    private final int tailLines;

    ContainerProcess(SandboxProcess process, String name, int tailLines) {
        this.process = process;
        this.tailLines = tailLines;
        pump(process.stdout(), stdout, name + "-stdout");
        pump(process.stderr(), stderr, name + "-stderr");
    }

    // One daemon thread per stream: a background process may write for as long as the test runs.
    private static void pump(InputStream in, OutputLog log, String threadName) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    log.append(buf, n);
                }
            } catch (IOException e) {
                // The sandbox closed the pipe: the process is gone.
            } finally {
                log.close();
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
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

    /** Everything written to stdout so far. */
    public String stdout() {
        return stdout.text();
    }

    /** Everything written to stderr so far. */
    public String stderr() {
        return stderr.text();
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
            Optional<String> line = stdout.firstMatch(pattern).or(() -> stderr.firstMatch(pattern));
            if (line.isPresent()) {
                return line.get();
            }
            long left = deadline - System.nanoTime();
            boolean ended = stdout.isClosed() && stderr.isClosed();
            if (left <= 0 || ended) {
                String how = ended ? "its output ended (" + (isAlive() ? "streams closed" : process.onExit().getNow(null)) + ")"
                        : "still running after " + timeout.toMillis() + " ms";
                throw new AwaitTimeoutException("no output line of `" + String.join(" ", command()) + "` matched /"
                        + pattern + "/: " + how + "\n" + snapshot().tail(tailLines));
            }
            try {
                // Poll both streams: a line may arrive on either.
                stdout.awaitChange(Math.min(left, 20_000_000L));
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
        ExitStatus status = process.onExit().getNow(null);
        return new ExecResult(command(), status == null ? new ExitStatus(-1, OptionalInt.empty(),
                ExitReason.EXITED) : status, stdout.bytes(), stderr.bytes(),
                Duration.between(started, Instant.now()));
    }

    private ExecResult result(ExitStatus status) {
        // The pumps finish right after the process's pipes close; give them a moment to collect the last bytes.
        long deadline = System.nanoTime() + 2_000_000_000L;
        try {
            while (!(stdout.isClosed() && stderr.isClosed()) && System.nanoTime() < deadline) {
                stdout.awaitChange(10_000_000L);
                stderr.awaitChange(1_000_000L);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new ExecResult(command(), status, stdout.bytes(), stderr.bytes(), Duration.between(started, Instant.now()));
    }

    @Override
    public String toString() {
        return process.toString();
    }
}
