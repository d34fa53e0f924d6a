package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * Execs racing close(): each exec either runs (to completion, or until the closing sandbox kills it) or fails at
 * once saying the sandbox is closed. Never a send on a closed descriptor (EBADF), never on a descriptor number
 * that meanwhile belongs to something else (ENOTSOCK, or worse another sandbox's socket), never a hang. Other
 * sandboxes start and close all the time, so the numbers of closed descriptors are reused at once.
 */
@RequiresSandbox
class ExecCloseRaceTest {
    private static final int ROUNDS = 400;
    private static final int EXEC_THREADS = 8;
    /** On a slow machine fewer rounds run, the test stays bounded. */
    private static final Duration BUDGET = Duration.ofSeconds(30);
    private static final SandboxSpec SPEC = SandboxSpec.defaults();

    @Test
    void execRacingCloseEitherRunsOrSaysTheSandboxIsClosed() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), this::race);
    }

    private void race() throws Exception {
        SandboxRuntime runtime = SandboxRuntime.shared();
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "exec-close-race");
            t.setDaemon(true); // a hung exec must not keep the JVM alive
            return t;
        });
        List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        AtomicLong ran = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Sandbox> neighbours = new ArrayList<>();
        int rounds = 0;
        boolean hung = false;
        long started = System.nanoTime();
        try {
            for (int i = 0; i < 2; i++) {
                neighbours.add(runtime.start(SPEC)); // open the whole time: their sockets take freed numbers too
            }
            Future<?> churn = threads.submit(() -> {
                while (!stop.get()) {
                    try (Sandbox other = runtime.start(SPEC)) {
                        for (Sandbox n : neighbours) {
                            expectRan(n.exec("/bin/true"), unexpected);
                        }
                        expectRan(other.exec("/bin/true"), unexpected);
                    } catch (RuntimeException e) {
                        unexpected.add("neighbour: " + e);
                    }
                }
            });
            while (rounds < ROUNDS && System.nanoTime() - started < BUDGET.toNanos() && !hung) {
                rounds++;
                Sandbox sandbox = runtime.start(SPEC);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> execs = new ArrayList<>();
                for (int t = 0; t < EXEC_THREADS; t++) {
                    execs.add(threads.submit(() -> execUntilClosed(sandbox, go, ran, refused, unexpected)));
                }
                go.countDown();
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(8_000_000));
                sandbox.close();
                for (Future<?> exec : execs) {
                    try {
                        exec.get(20, TimeUnit.SECONDS);
                    } catch (TimeoutException e) {
                        unexpected.add("an exec into " + sandbox + " hung after close");
                        hung = true;
                    }
                }
            }
            stop.set(true);
            churn.get(30, TimeUnit.SECONDS);
        } finally {
            stop.set(true);
            neighbours.forEach(Sandbox::close);
            threads.shutdownNow();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("ExecCloseRaceTest: %d rounds in %d ms, %d execs ran, %d refused as closed, %d unexpected%n",
                rounds, millis, ran.get(), refused.get(), unexpected.size());
        synchronized (unexpected) {
            unexpected.stream().map(u -> u.replaceAll("[0-9a-f]{12}", "<id>"))
                    .collect(Collectors.groupingBy(u -> u, TreeMap::new, Collectors.counting()))
                    .forEach((u, n) -> System.out.println("  " + n + " x " + u));
        }
        assertThat(unexpected).isEmpty();
        assertThat(refused.get()).isEqualTo((long) rounds * EXEC_THREADS);
    }

    private static void execUntilClosed(Sandbox sandbox, CountDownLatch go, AtomicLong ran, AtomicLong refused,
            List<String> unexpected) {
        try {
            go.await();
            while (true) {
                ExecResult r = sandbox.exec("/bin/true");
                ran.incrementAndGet();
                if (!r.succeeded() && r.status().reason() != ExitReason.SANDBOX_ENDED
                        && r.status().signal().orElse(0) != 9) {
                    unexpected.add("exec into a closing sandbox: " + r.status());
                }
            }
        } catch (IllegalStateException e) {
            if (String.valueOf(e.getMessage()).startsWith("sandbox " + sandbox.id() + " is closed")) {
                refused.incrementAndGet();
            } else {
                unexpected.add(e.toString());
            }
        } catch (Throwable e) {
            unexpected.add(e.toString());
        }
    }

    private static void expectRan(ExecResult r, List<String> unexpected) {
        if (!r.succeeded()) {
            unexpected.add("exec into an open neighbour: " + r.status());
        }
    }
}
