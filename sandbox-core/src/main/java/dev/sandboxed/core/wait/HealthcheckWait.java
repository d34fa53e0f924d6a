package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.sandboxed.core.image.Healthcheck;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.RootFs;

/**
 * A HEALTHCHECK run as Docker runs it (see {@link Wait#forHealthcheck()}): its test ({@code CMD} exec'd as is,
 * {@code CMD-SHELL} through {@code /bin/sh -c}) every interval, each try killed after its timeout, healthy at the first
 * success, unhealthy after {@code retries} failures in a row, failures within the start period not counted. Docker's
 * defaults where the image has zeros: interval and timeout 30 s, retries 3, no start period. Unlike Docker, the first
 * try runs at once rather than one interval after the start, and until healthy a try runs every second (the interval
 * if shorter), as Docker's start interval does: a test is waiting, and a server that is not up at the first try must
 * not cost a whole 30 s interval. Only one failure per interval counts toward {@code retries} (the first failing try
 * after the start period, then the first at least one interval after the last counted one), so unhealthy comes no
 * sooner than Docker would say it.
 */
final class HealthcheckWait extends WaitStrategy {
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    static final int DEFAULT_RETRIES = 3;
    /** How often to try until healthy; Docker's start interval, which images cannot set here yet. */
    static final Duration START_INTERVAL = Duration.ofSeconds(1);

    /** Empty: the image's own. */
    private final Optional<Healthcheck> check;

    HealthcheckWait(Optional<Healthcheck> check, Duration timeout) {
        super(timeout);
        check.ifPresent(HealthcheckWait::command);
        this.check = check;
    }

    @Override
    public HealthcheckWait withTimeout(Duration timeout) {
        return new HealthcheckWait(check, timeout);
    }

    /** The command of a health check's test; rejects {@code NONE} and unknown forms. */
    static List<String> command(Healthcheck h) {
        List<String> test = h.test();
        String kind = test.isEmpty() ? "" : test.get(0);
        if (kind.equals("CMD") && test.size() > 1) {
            return test.subList(1, test.size());
        }
        if (kind.equals("CMD-SHELL") && test.size() == 2) {
            return List.of("/bin/sh", "-c", test.get(1));
        }
        throw new IllegalArgumentException("health check test " + test + " is not [CMD, ARG...] or [CMD-SHELL, SCRIPT]"
                + (kind.equals("NONE") ? " (NONE disables it)" : ""));
    }

    /** The image's health check, if it has one that is not disabled. */
    static Optional<Healthcheck> ofImage(RootFs root) {
        if (!root.isImage()) {
            return Optional.empty();
        }
        return root.image().config().healthcheck()
                .filter(h -> !h.test().isEmpty() && !h.test().get(0).equals("NONE"));
    }

    @Override
    void await(WaitTarget target, long deadline) throws InterruptedException {
        Optional<Healthcheck> found = check.isPresent() ? check : ofImage(target.sandbox().spec().rootfs());
        if (found.isEmpty()) {
            throw target.failure(this, "the sandbox's root is not an image with a HEALTHCHECK");
        }
        Healthcheck h = found.get();
        List<String> argv = command(h);
        Duration interval = orDefault(h.interval(), DEFAULT_INTERVAL);
        Duration tryTimeout = orDefault(h.timeout(), DEFAULT_TIMEOUT);
        int retries = h.retries() > 0 ? h.retries() : DEFAULT_RETRIES;
        long pause = Math.min(interval.toNanos(), START_INTERVAL.toNanos());
        long started = System.nanoTime();
        long countFrom = started + h.startPeriod().toNanos();
        int failures = 0;
        String last = "no try yet";
        while (true) {
            if (target.ended()) {
                throw target.failure(this, target.endedReason() + "; " + last);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw target.failure(this, "timed out after " + WaitTarget.seconds(timeout()) + "; " + last);
            }
            ExecResult r = target.exec(this, ProcessSpec.builder(argv)
                    .timeout(Duration.ofNanos(Math.min(left, tryTimeout.toNanos()))).build());
            if (r.succeeded()) {
                return;
            }
            last = CommandWait.describe(r);
            long now = System.nanoTime();
            if (now - countFrom >= 0) {
                countFrom = now + interval.toNanos();
                if (++failures >= retries) {
                    throw target.failure(this, "unhealthy after " + failures + " failed checks in a row; " + last);
                }
            }
            target.pause(Math.min(pause, deadline - System.nanoTime()), true);
        }
    }

    private static Duration orDefault(Duration d, Duration fallback) {
        return d.isZero() || d.isNegative() ? fallback : d;
    }

    @Override
    public String toString() {
        return check.map(h -> "the health check " + h.test()).orElse("the image's health check");
    }
}
