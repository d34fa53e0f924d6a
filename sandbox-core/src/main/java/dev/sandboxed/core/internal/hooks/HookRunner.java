package dev.sandboxed.core.internal.hooks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.sandboxed.core.spec.Hook;

/**
 * Runs a hook of the runtime's stages (prestart, createRuntime, poststart, poststop) as a child of the JVM: the
 * caller's privileges and namespaces, exactly the hook's environment, the state JSON on stdin, stdout and stderr
 * kept together (their tail quoted on failure), killed with its descendants at its timeout.
 */
public final class HookRunner {
    /** How much of a failed hook's output its failure line quotes. */
    static final int OUTPUT_TAIL = 200;

    private HookRunner() {
    }

    /**
     * Runs {@code hook}; empty when it exited 0, else one line naming the stage, path, exit status (or timeout) and
     * its output's tail. Java cannot give a program an argv[0] other than its path, so {@code args[0]} is the path.
     */
    public static Optional<String> run(Hook hook, String stateJson) {
        List<String> command = new ArrayList<>();
        command.add(hook.path());
        command.addAll(hook.args().subList(1, hook.args().size()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        for (String entry : hook.env()) {
            int eq = entry.indexOf('=');
            pb.environment().put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        String what = hook.stage().ociName() + " hook " + hook.path();
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return Optional.of(what + ": cannot be started: " + e.getMessage());
        }
        Tail tail = new Tail(process.getInputStream());
        Thread reader = new Thread(tail, "sandbox-hook-output");
        reader.setDaemon(true);
        reader.start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(stateJson.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // It exited or closed stdin without reading the state: its exit status says whether that was fine.
        }
        boolean exited;
        try {
            exited = process.waitFor(hook.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            return Optional.of(what + ": interrupted (killed)");
        }
        if (!exited) {
            kill(process);
        }
        joinQuietly(reader);
        if (!exited) {
            return Optional.of(what + ": timed out after " + hook.timeout().toMillis() + " ms (killed)" + tail.quoted());
        }
        int status = process.exitValue();
        if (status == 0) {
            return Optional.empty();
        }
        String how = status > 128 ? "killed by signal " + (status - 128) : "exit status " + status;
        return Optional.of(what + ": " + how + tail.quoted());
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A descendant may hold the output open; its tail so far is enough. */
    private static void joinQuietly(Thread reader) {
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@link #OUTPUT_TAIL} bytes of a stream. */
    private static final class Tail implements Runnable {
        private final InputStream in;
        private final byte[] ring = new byte[OUTPUT_TAIL];
        private long total;

        Tail(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (total++ % OUTPUT_TAIL)] = buf[i];
                        }
                    }
                }
            } catch (IOException e) {
                // the process was killed, or its pipe closed: what came so far is the tail
            }
        }

        /** {@code ; output: TAIL}, or {@code ; no output}. */
        String quoted() {
            String text = text();
            return text.isEmpty() ? "; no output" : "; output: " + text;
        }

        synchronized String text() {
            int len = (int) Math.min(total, OUTPUT_TAIL);
            byte[] out = new byte[len];
            for (int i = 0; i < len; i++) {
                out[i] = ring[(int) ((total - len + i) % OUTPUT_TAIL)];
            }
            return new String(out, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", " ").strip();
        }
    }
}
