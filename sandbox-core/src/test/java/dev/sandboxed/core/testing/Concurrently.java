package dev.sandboxed.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Many threads doing rounds of the same work at once (connections through a port, say); the first failure fails. */
public final class Concurrently {
    /** One round of a thread's work, drawing its data from the thread's own seeded random. */
    @FunctionalInterface
    public interface Round {
        void run(Random random) throws Exception;
    }

    private Concurrently() {
    }

    /** {@code rounds} rounds on each of {@code threads} threads; thread t's random is seeded with t. */
    public static void run(int threads, int rounds, Round round) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(t);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        round.run(random);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
