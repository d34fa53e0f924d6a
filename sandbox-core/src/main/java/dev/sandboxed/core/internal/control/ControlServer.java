package dev.sandboxed.core.internal.control;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.UnixSockets;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.internal.runtime.DaemonPool;
import dev.sandboxed.core.internal.runtime.ProcessState;
import dev.sandboxed.core.internal.runtime.RunningSandbox;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.UserSpec;

/**
 * This JVM's operations socket (see the package comment): listening from the first sandbox on, answered on daemon
 * threads; being abstract, it goes with the JVM's last descriptor of it, leaving nothing behind.
 */
public final class ControlServer {
    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final ExecutorService CONNECTIONS = DaemonPool.named("sandboxed-operations");
    private static volatile ControlServer shared;
    /** How long a refused caller's request is waited for, to be discarded: bounded, anyone may connect. */
    private static final long REFUSED_DRAIN_MILLIS = 200;

    private final int listener;
    private final Map<String, ControlTarget> targets = new ConcurrentHashMap<>();

    private ControlServer(int listener) {
        this.listener = listener;
    }

    /** The abstract socket name the JVM with pid {@code ownerPid} of user {@code uid} listens on. */
    public static String socketName(int uid, long ownerPid) {
        return "sandboxed-ops/" + uid + "/" + ownerPid;
    }

    /** This JVM's socket, listening from now on. */
    public static ControlServer shared() {
        ControlServer s = shared;
        if (s == null) {
            synchronized (ControlServer.class) {
                s = shared;
                if (s == null) {
                    String name = socketName(OwnIds.uid(), ProcessHandle.current().pid());
                    s = new ControlServer(UnixSockets.listen(name, "the sandboxed operations socket"));
                    Thread accepter = new Thread(s::acceptLoop, "sandboxed-operations-accept");
                    accepter.setDaemon(true);
                    accepter.start();
                    shared = s;
                }
            }
        }
        return s;
    }

    public void register(ControlTarget target) {
        targets.put(target.id(), target);
    }

    public void unregister(String id) {
        targets.remove(id);
    }

    /** Whether {@code id} is reachable here now. */
    public boolean isRegistered(String id) {
        return targets.containsKey(id);
    }

    private void acceptLoop() {
        int fd;
        while ((fd = UnixSockets.accept(listener)) >= 0) {
            int connection = fd;
            CONNECTIONS.execute(() -> serve(connection));
        }
    }

    private void serve(int fd) {
        try (ControlSocket socket = new ControlSocket(fd, "a sandboxed command")) {
            Optional<String> refusal = refusal(UnixSockets.peer(fd));
            if (refusal.isPresent()) {
                // Nothing acted on, nothing said but the refusal. A request already sent is taken off the socket
                // (its descriptors closed), so the caller reads the refusal rather than a reset.
                reply(socket, error(refusal.get()));
                if (socket.awaitReadable(REFUSED_DRAIN_MILLIS)) {
                    ControlSocket.Received ignored = socket.receive();
                    if (ignored != null) {
                        for (int received : ignored.fds()) {
                            Native.close(received);
                        }
                    }
                }
                return;
            }
            ControlSocket.Received r = socket.receive();
            if (r == null) {
                return;
            }
            try {
                reply(socket, handle(r, socket));
            } finally {
                for (int received : r.fds()) {
                    Native.close(received); // exec took its own: these were handed over or never used
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "operations request failed: " + e);
        }
    }

    /**
     * Why a caller is refused, if it is: only this user, from this JVM's user and mount namespaces. A process inside
     * a sandbox runs as this user too (its root is mapped to us), and one sharing the host's network namespace could
     * reach the abstract socket; its namespaces are the sandbox's own (or unreadable: sandbox-init is not dumpable).
     */
    private static Optional<String> refusal(UnixSockets.Peer peer) {
        if (peer.uid() != OwnIds.uid()) {
            return Optional.of("refused: uid " + peer.uid() + " does not own the sandboxes of this JVM (uid " + OwnIds.uid() + ")");
        }
        for (String ns : new String[] {"user", "mnt"}) {
            String own = namespace("self", ns);
            if (own == null || !own.equals(namespace(Integer.toString(peer.pid()), ns))) {
                return Optional.of("refused: process " + peer.pid() + " is not in this JVM's " + ns + " namespace");
            }
        }
        return Optional.empty();
    }

    private static String namespace(String pid, String ns) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", pid, "ns", ns)).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private Map<String, Object> handle(ControlSocket.Received r, ControlSocket socket) {
        Map<String, Object> request;
        try {
            request = ControlJson.decode(r.message());
        } catch (RuntimeException e) {
            return error("malformed request: " + e.getMessage());
        }
        String op = String.valueOf(request.get("op"));
        if (op.equals("list")) {
            List<Map<String, Object>> all = new ArrayList<>();
            for (ControlTarget t : targets.values()) {
                all.add(t.describe());
            }
            return Map.of("sandboxes", all);
        }
        ControlTarget target = targets.get(String.valueOf(request.get("id")));
        if (target == null) {
            return error("no sandbox " + request.get("id") + " in JVM " + ProcessHandle.current().pid());
        }
        try {
            switch (op) {
                case "inspect" -> {
                    return Map.of("sandbox", target.describe());
                }
                case "kill" -> {
                    target.signalAll(((Number) request.getOrDefault("signal", Native.SIGKILL)).intValue());
                    return Map.of();
                }
                case "rm" -> {
                    if (!target.isKept() && !Boolean.TRUE.equals(request.get("force"))) {
                        return error("sandbox " + target.id() + " is in use by its JVM (not kept); stop it there, or"
                                + " use rm --force");
                    }
                    target.remove();
                    return Map.of();
                }
                case "exec" -> {
                    int[] fds = r.fds();
                    if (fds.length != 3) {
                        return error("exec needs the caller's stdin, stdout and stderr, got " + fds.length + " descriptors");
                    }
                    return exec(target.running(), request, fds, socket);
                }
                default -> {
                    return error("unknown operation '" + op + "'; expected list, inspect, exec, kill or rm");
                }
            }
        } catch (RuntimeException e) { // a bad request (wrong types included) or a sandbox that ended meanwhile
            return error(e.getMessage());
        }
    }

    /** The descriptors, copied; the received array is marked used so that serve() does not close them too. */
    private static int[] takeAll(int[] fds) {
        int[] taken = fds.clone();
        Arrays.fill(fds, -1);
        return taken;
    }

    /**
     * Starts the process with the caller's descriptors and answers with its exit status once it ends. The caller's
     * {@code signal} requests go to it meanwhile; the caller's hang-up kills it and its group.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> exec(RunningSandbox sandbox, Map<String, Object> request, int[] fds,
            ControlSocket caller) {
        ProcessSpec.Builder process = ProcessSpec.builder((List<String>) request.get("command"));
        ((Map<String, String>) request.getOrDefault("env", Map.of())).forEach(process::env);
        Optional.ofNullable((String) request.get("workdir")).ifPresent(process::workdir);
        Optional.ofNullable((String) request.get("user")).map(UserSpec::parseIds).ifPresent(process::user);
        ProcessSpec spec = process.build(); // a bad request fails before the descriptors change hands
        ProcessState p = sandbox.launchPassing(spec, takeAll(fds)).state();
        try {
            p.awaitStart();
        } catch (SandboxException e) {
            ExitStatus status = p.waitFor();
            return exitReply(status, e.getMessage());
        }
        while (true) {
            Optional<ExitStatus> done = p.waitFor(Duration.ofMillis(100));
            if (done.isPresent()) {
                return exitReply(done.get(), null);
            }
            if (caller.awaitReadable(0)) {
                ControlSocket.Received more = caller.receive();
                if (more == null) {
                    sandbox.connection().killWithGroup(p); // the caller is gone: nobody reads the output
                    return exitReply(p.waitFor(), null);
                }
                for (int fd : more.fds()) {
                    Native.close(fd);
                }
                Map<String, Object> m = ControlJson.decode(more.message());
                if ("signal".equals(m.get("op")) && m.get("signal") instanceof Number signal) {
                    sandbox.connection().signal(p.execId(), signal.intValue());
                }
            }
        }
    }

    private static Map<String, Object> exitReply(ExitStatus status, String startFailure) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exitCode", status.exitCode());
        m.put("reason", status.reason().name());
        status.signal().ifPresent(s -> m.put("signal", s));
        if (startFailure != null) {
            m.put("startFailure", startFailure);
        }
        return m;
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message == null ? "failed" : message);
    }

    private static void reply(ControlSocket socket, Map<String, Object> reply) {
        socket.send(ControlJson.encode(Protocol.K_CONTROL_REPLY, reply));
    }
}
