package dev.sandboxed.core.internal.host;

import java.util.Objects;
import java.util.function.Supplier;

/** Computes a value once, on first use, so checks that share a probe do not repeat it. */
public final class Memo<T> implements Supplier<T> {
    private final Supplier<T> compute;
    private volatile T value;

    public Memo(Supplier<T> compute) {
        this.compute = Objects.requireNonNull(compute, "compute");
    }

    @Override
    public T get() {
        T result = value;
        if (result == null) {
            synchronized (this) {
                result = value;
                if (result == null) {
                    result = Objects.requireNonNull(compute.get(), "memoized value");
                    value = result;
                }
            }
        }
        return result;
    }
}
