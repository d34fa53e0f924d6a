package dev.sandboxed.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The peers a sandbox is compared with: commands spawned from this JVM with {@link ProcessBuilder} (the
 * JDK's default launch mechanism, default pipes for stdin/stdout/stderr) and waited for.
 */
final class Peers {
    static final String TRUE = "/bin/true";

    private Peers() {
    }

    /** Spawns the command and waits for it; fails on a non-zero exit. */
    static void spawnAndWait(List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("start " + command, e);
        }
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted waiting for " + command, e);
        } finally {
            closeStreams(p);
        }
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + code);
        }
    }

    /**
     * Runs the command once with its output collected: empty when it works, else why not (the reason a
     * peer is skipped).
     */
    static Optional<String> probe(List<String> command) {
        Optional<Path> exe = findExecutable(command.get(0));
        if (exe.isEmpty()) {
            return Optional.of(command.get(0) + " is not installed (not found on PATH)");
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readNBytes(4096);
            }
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of(String.join(" ", command) + " did not finish within 20 s");
            }
            if (p.exitValue() != 0) {
                String msg = new String(out, StandardCharsets.UTF_8).strip().replace('\n', ' ');
                return Optional.of(String.join(" ", command) + " exited with " + p.exitValue()
                        + (msg.isEmpty() ? "" : ": " + msg));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    static Optional<Path> findExecutable(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static void closeStreams(Process p) {
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            p.getInputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            p.getErrorStream().close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    /**
     * A rootless crun container running /bin/true: an OCI bundle from {@code crun spec --rootless}
     * (pid, network, ipc, uts, user and mount namespaces, its default mounts) with a one-binary busybox
     * rootfs, a private state directory and no cgroup (--cgroup-manager=disabled, like P1's
     * trackUsage(false)). Each run gets a new container id; {@code crun run} deletes it when it exits.
     */
    static final class Crun implements AutoCloseable {
        private final Path bundle;
        private final Path state;
        private final String crun;
        private final AtomicLong counter = new AtomicLong();

        private Crun(Path bundle, Path state, String crun) {
            this.bundle = bundle;
            this.state = state;
            this.crun = crun;
        }

        /** Builds the bundle, or says why not. */
        static Crun create(List<String> whyNot) {
            Optional<Path> crun = findExecutable("crun");
            if (crun.isEmpty()) {
                whyNot.add("crun is not installed (not found on PATH)");
                return null;
            }
            Optional<Path> busybox = findExecutable("busybox").filter(Peers::isStatic);
            if (busybox.isEmpty()) {
                whyNot.add("no statically linked busybox for the container's rootfs (apt-get install busybox-static)");
                return null;
            }
            Path dir = null;
            try {
                dir = Files.createTempDirectory("sandboxed-bench-crun-");
                Path bundle = Files.createDirectory(dir.resolve("bundle"));
                Path state = Files.createDirectory(dir.resolve("state"));
                Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
                Files.copy(busybox.get(), bin.resolve("busybox"));
                Files.createSymbolicLink(bin.resolve("true"), Path.of("busybox"));
                Process spec = new ProcessBuilder(crun.get().toString(), "spec", "--rootless")
                        .directory(bundle.toFile()).redirectErrorStream(true).start();
                spec.getOutputStream().close();
                String out = new String(spec.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (spec.waitFor() != 0) {
                    whyNot.add("crun spec --rootless failed: " + out);
                    deleteTree(dir);
                    return null;
                }
                ObjectMapper json = new ObjectMapper();
                Path config = bundle.resolve("config.json");
                ObjectNode root = (ObjectNode) json.readTree(config.toFile());
                ObjectNode process = (ObjectNode) root.get("process");
                process.put("terminal", false);
                ArrayNode args = process.putArray("args");
                args.add(TRUE);
                json.writerWithDefaultPrettyPrinter().writeValue(config.toFile(), root);
                return new Crun(bundle, state, crun.get().toString());
            } catch (IOException | RuntimeException e) {
                whyNot.add("could not build an OCI bundle: " + e);
                if (dir != null) {
                    deleteTree(dir);
                }
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                whyNot.add("interrupted");
                return null;
            }
        }

        List<String> nextCommand() {
            List<String> cmd = new ArrayList<>(List.of(crun, "--root", state.toString(), "--cgroup-manager=disabled",
                    "run", "--bundle", bundle.toString(), "bench-" + ProcessHandle.current().pid() + "-"
                            + counter.incrementAndGet()));
            return cmd;
        }

        @Override
        public void close() {
            deleteTree(bundle.getParent());
        }
    }

    private static boolean isStatic(Path exe) {
        // A dynamically linked ELF has a PT_INTERP program header naming its loader: look for the loader's name.
        try {
            byte[] head = Files.readAllBytes(exe.toRealPath());
            String text = new String(head, 0, Math.min(head.length, 4096), StandardCharsets.ISO_8859_1);
            return !text.contains("ld-linux") && !text.contains("ld-musl");
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
