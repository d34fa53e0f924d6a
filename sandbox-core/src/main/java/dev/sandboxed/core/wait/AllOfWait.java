package dev.sandboxed.core.wait;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** Several waits, met one after the other, each within its own timeout and all within this one's. */
final class AllOfWait extends WaitStrategy {
    private final List<WaitStrategy> waits;

    AllOfWait(List<WaitStrategy> waits, Duration timeout) {
        super(timeout);
        this.waits = List.copyOf(waits);
    }

    @Override
    public AllOfWait withTimeout(Duration timeout) {
        return new AllOfWait(waits, timeout);
    }

    List<WaitStrategy> waits() {
        return waits;
    }

    @Override
    void await(WaitTarget target, long deadline) throws InterruptedException {
        for (WaitStrategy w : waits) {
            w.await(target, w.deadline(deadline));
        }
    }

    @Override
    public String toString() {
        return waits.stream().map(WaitStrategy::toString).collect(Collectors.joining(", then ", "all of: ", ""));
    }
}
