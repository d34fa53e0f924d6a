package dev.sandboxed.core.wait;

import java.time.Duration;

import dev.sandboxed.core.Sandbox;

/** A TCP socket listening on a port in the sandbox's network namespace; see {@link Wait#forListeningPort}. */
final class PortWait extends WaitStrategy {
    private static final long PAUSE_NANOS = 25_000_000L;
    private final int port;

    PortWait(int port, Duration timeout) {
        super(timeout);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
        }
        this.port = port;
    }

    @Override
    public PortWait withTimeout(Duration timeout) {
        return new PortWait(port, timeout);
    }

    @Override
    void await(WaitTarget target, long deadline) throws InterruptedException {
        Sandbox sandbox = target.sandbox();
        int pid = sandbox.pid();
        // Read while the init runs: after it ends its pid may name another process.
        target.poll(this, deadline, PAUSE_NANOS,
                () -> ListeningPorts.isListening(pid, port) && sandbox.state() == Sandbox.State.RUNNING,
                () -> "nothing listens on it yet");
    }

    @Override
    public String toString() {
        return "a TCP socket listening on port " + port;
    }
}
