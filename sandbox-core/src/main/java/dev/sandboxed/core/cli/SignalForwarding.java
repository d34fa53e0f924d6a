package dev.sandboxed.core.cli;

import dev.sandboxed.core.SandboxProcess;

/**
 * Passes SIGINT, SIGTERM and SIGHUP received by the CLI on to the sandboxed command: it runs in its own
 * session (no controlling terminal of the host), so the terminal's Ctrl-C reaches only us.
 */
final class SignalForwarding {
    private SignalForwarding() {
    }

    @SuppressWarnings("removal")
    static void forward(SandboxProcess main) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                sun.misc.Signal signal = new sun.misc.Signal(name);
                sun.misc.Signal.handle(signal, s -> main.signal(s.getNumber()));
            } catch (IllegalArgumentException unavailable) {
                // the JVM reserves this signal (e.g. with -Xrs); the default handling stays
            }
        }
    }
}
