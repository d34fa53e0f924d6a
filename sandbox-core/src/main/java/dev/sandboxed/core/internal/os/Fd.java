package dev.sandboxed.core.internal.os;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file descriptor shared by threads that is never used after it was closed. A raw number is not safe to share:
 * once one thread has closed it, the kernel hands the number to the next open, socket or pipe in the process, and
 * another thread still holding it sends to, reads from or polls whatever that is (another sandbox's socket, say).
 *
 * <p>Each use brackets its system call with {@link #acquire()} and {@link #release()}. {@link #close()} refuses
 * every later {@code acquire} ({@link ClosedException}); the real close(2) happens once no use is in progress: at
 * once, or in the {@code release} of the last one. Lock-free: an uncontended use costs two atomic updates.
 */
public final class Fd implements AutoCloseable {
    private static final int CLOSED = 1;
    private static final int USE = 2;

    private final int number;
    private final String what;
    /** Uses in progress times {@link #USE}, plus {@link #CLOSED} once closed. */
    private final AtomicInteger state = new AtomicInteger();

    /** Takes ownership of descriptor {@code number}; {@code what} names it in errors. */
    public Fd(int number, String what) {
        if (number < 0) {
            throw new IllegalArgumentException("not a descriptor: " + number + " (" + what + ")");
        }
        this.number = number;
        this.what = what;
    }

    /** A use of a closed descriptor was refused. */
    public static final class ClosedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ClosedException(String message) {
            super(message);
        }
    }

    /**
     * The descriptor number for one use, which must end with {@link #release()} (in a {@code finally}). The number
     * stays this descriptor's until then, even if another thread closes it meanwhile.
     *
     * @throws ClosedException once {@link #close()} was called
     */
    public int acquire() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                throw new ClosedException(what + " is closed");
            }
            if (state.compareAndSet(s, s + USE)) {
                return number;
            }
        }
    }

    /** Ends a use begun with {@link #acquire()}; the last use after a close closes the descriptor. */
    public void release() {
        if (state.addAndGet(-USE) == CLOSED) {
            Native.close(number);
        }
    }

    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** No use may begin after this; the descriptor is closed now, or when the uses in progress end. Idempotent. */
    @Override
    public void close() {
        int before = state.getAndUpdate(s -> s | CLOSED);
        if (before == 0) {
            Native.close(number);
        }
    }

    @Override
    public String toString() {
        return what + " (fd " + number + (isClosed() ? ", closed)" : ")");
    }
}
