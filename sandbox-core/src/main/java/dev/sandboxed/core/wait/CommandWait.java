package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.List;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;

/** A command exec'd in the sandbox until it exits 0, with a pause between tries; see {@link Wait#forCommand}. */
final class CommandWait extends WaitStrategy {
    static final Duration PAUSE = Duration.ofMillis(250);
    private final List<String> command;

    CommandWait(List<String> command, Duration timeout) {
        super(timeout);
        this.command = List.copyOf(command);
        ProcessSpec.of(this.command.toArray(String[]::new)); // the core's checks, now rather than at the first try
    }

    @Override
    public CommandWait withTimeout(Duration timeout) {
        return new CommandWait(command, timeout);
    }

    @Override
    void await(WaitTarget target, long deadline) throws InterruptedException {
        String[] last = {null};
        target.poll(this, deadline, PAUSE.toNanos(), () -> {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            ExecResult r = target.exec(this, ProcessSpec.builder(command).timeout(Duration.ofNanos(left)).build());
            last[0] = describe(r);
            return r.succeeded();
        }, () -> last[0]);
    }

    static String describe(ExecResult r) {
        String output = (r.stderr().isBlank() ? r.stdout() : r.stderr()).strip();
        int cut = output.lastIndexOf('\n');
        return "last try: " + r.status() + (output.isEmpty() ? "" : ": " + output.substring(cut + 1));
    }

    @Override
    public String toString() {
        return "`" + String.join(" ", command) + "` to succeed";
    }
}
