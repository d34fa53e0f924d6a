package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.SandboxInterruptedException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * Blocking calls answer Thread.interrupt(): they kill what they started, keep the interrupt flag set and throw
 * SandboxInterruptedException caused by InterruptedException. Each is bounded far below the 60 s the command takes.
 */
@RequiresSandbox
class InterruptTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    @AfterEach
    void clearFlag() {
        Thread.interrupted();
    }

    @Test
    void execIsInterruptedAndItsProcessKilled() throws Exception {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            interruptOnceRunning(sandbox::exec);
            String left = sandbox.exec("sh", "-c", "cat /proc/[0-9]*/comm").stdout();
            assertThat(left).as("the interrupted process was killed").doesNotContain("sleep");
        }
    }

    @Test
    void oneShotRunIsInterruptedAndItsSandboxRemoved() throws Exception {
        interruptOnceRunning(process -> Sandbox.run(SandboxSpec.defaults(), process));
        assertThat(SandboxRuntime.shared().openSandboxes()).isEmpty();
    }

    @Test
    void startInAnInterruptedThreadThrowsAndLeavesNoSandbox() {
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> SandboxRuntime.shared().start(SandboxSpec.defaults()))
                .isInstanceOf(SandboxInterruptedException.class).hasCauseInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
        assertThat(SandboxRuntime.shared().openSandboxes()).isEmpty();
    }

    @Test
    void waitForIsInterrupted() {
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.defaults())) {
            SandboxProcess sleeper = sandbox.spawn(ProcessSpec.of("sleep", "60"));
            Thread.currentThread().interrupt();
            assertThatThrownBy(sleeper::waitFor).isInstanceOf(SandboxInterruptedException.class)
                    .hasCauseInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
        }
    }

    /**
     * Runs {@code call} with `sleep 60` on another thread, interrupts it once the process printed that it runs, and
     * checks what the call threw and that the flag was set again.
     */
    private static void interruptOnceRunning(Function<ProcessSpec, ?> call) throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        OutputStream signal = new OutputStream() {
            @Override
            public void write(int b) {
                running.countDown();
            }
        };
        ProcessSpec process = ProcessSpec.builder("sh", "-c", "echo up; exec sleep 60").stdout(Stdio.to(signal)).build();
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread[] caller = new Thread[1];
        CompletableFuture<Object> result = new CompletableFuture<>();
        caller[0] = new Thread(() -> {
            try {
                result.complete(call.apply(process));
            } catch (RuntimeException e) {
                flagKept.set(Thread.currentThread().isInterrupted());
                result.completeExceptionally(e);
            }
        }, "interrupted-caller");
        caller[0].start();
        assertTimeoutPreemptively(BOUND, () -> {
            running.await();
            caller[0].interrupt();
            assertThatThrownBy(result::get).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SandboxInterruptedException.class).hasCauseInstanceOf(InterruptedException.class);
            caller[0].join();
        });
        assertThat(flagKept).as("interrupt flag kept").isTrue();
    }
}
