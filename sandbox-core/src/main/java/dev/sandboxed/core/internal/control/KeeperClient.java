package dev.sandboxed.core.internal.control;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;
import dev.sandboxed.core.internal.runtime.ExecMessage;
import dev.sandboxed.core.internal.runtime.ExecProfile;
import dev.sandboxed.core.internal.runtime.ProcessMessages;
import dev.sandboxed.core.internal.runtime.ProcessRole;
import dev.sandboxed.core.internal.runtime.SandboxStarter;
import dev.sandboxed.core.internal.runtime.StaleSandboxes;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;

/**
 * A sandbox kept after its JVM ({@code sandboxed.keep.afterJvm}), reached through its keeper (keeper.c in
 * sandbox-init), which holds the init's control socket and passes the init's own messages on: a process is built
 * here from the exec profile the JVM left in the state entry, as that JVM would have built it, and the keeper puts in
 * what confines it (capabilities, rlimits, seccomp) as the JVM handed it over.
 */
public final class KeeperClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KeeperClient.class.getName());
    /** The exec id of this client's process; the keeper maps it to one of its own. */
    private static final int EXEC_ID = 1;

    private final ControlSocket socket;
    private final SandboxState state;

    private KeeperClient(ControlSocket socket, SandboxState state) {
        this.socket = socket;
        this.state = state;
    }

    /** How long {@link #remove} waits for the sandbox to end before it kills the keeper. */
    static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Connects to the keeper the state names, checking that it is that process of this user, started when the entry
     * says (not a later process, a JVM say, that got its pid).
     *
     * @throws SandboxException when the keeper is gone (the sandbox ended with it)
     */
    public static KeeperClient connect(SandboxState state) {
        ControlSocket socket = ControlClient.open(state.ownerPid(), "keeper " + state.ownerPid());
        if (!isKeeper(state)) {
            socket.close();
            throw new SandboxException("keeper " + state.ownerPid() + " is gone: another process has its pid now", 0);
        }
        return new KeeperClient(socket, state);
    }

    private static boolean isKeeper(SandboxState state) {
        return SandboxStarter.startTime(state.ownerPid()) == state.keeperStartTime();
    }

    /** Whether its keeper answers (it holds the sandbox), else the sandbox is stale. */
    public static boolean alive(SandboxState state) {
        try {
            connect(state).close();
            return true;
        } catch (SandboxException e) {
            return false;
        }
    }

    /** How a process run through the keeper ended: its status, and the failed step when it did not start. */
    public record Outcome(ExitStatus status, String startFailure) {
    }

    /**
     * Runs {@code process} with {@code stdio} (this process's own descriptors, not closed here) and waits for its end;
     * {@code signals} is handed the way to signal it meanwhile. If this client dies, the keeper kills it and its group.
     */
    public Outcome exec(ExecProfile profile, ProcessSpec process, int[] stdio, Consumer<IntConsumer> signals) {
        try (ExecMessage exec = ProcessMessages.exec(EXEC_ID, ProcessRole.EXTRA, profile, process)) {
            socket.send(exec.message(), exec.fds(stdio));
        }
        signals.accept(signal -> {
            try {
                socket.send(Message.of(Protocol.K_SIGNAL).putU32(Protocol.F_EXEC_ID, EXEC_ID).putU32(Protocol.F_SIGNO, signal));
            } catch (RuntimeException ended) {
                // it ended meanwhile
            }
        });
        while (true) {
            ControlSocket.Received r = socket.receive();
            if (r == null) {
                throw new SandboxException("sandbox " + state.id() + " ended while the process ran (its keeper hung up)", 0);
            }
            for (int fd : r.fds()) {
                Native.close(fd);
            }
            Message m = r.message();
            if (m.kind() == Protocol.K_EXEC_FAILED) {
                SandboxException failure = new SandboxException(m.string(Protocol.F_STEP, "start process"),
                        m.u32(Protocol.F_ERRNO, 0));
                return new Outcome(ExitStatus.notStarted(m.string(Protocol.F_STEP, "start process"),
                        m.u32(Protocol.F_ERRNO, 0)), failure.getMessage());
            }
            if (m.kind() == Protocol.K_EXITED) {
                return new Outcome(ExitStatus.fromWaitStatus(m.u32(Protocol.F_STATUS, 0)), null);
            }
        }
    }

    /** Sends {@code signal} to every process in the sandbox. */
    public void signalAll(int signal) {
        socket.send(Message.of(Protocol.K_SIGNAL).putU32(Protocol.F_EXEC_ID, 0).putU32(Protocol.F_SIGNO, signal));
    }

    /** {@link #remove(StateDirectory, Consumer)} logging failed poststop hooks. */
    public void remove(StateDirectory directory) {
        remove(directory, null);
    }

    /**
     * Ends the sandbox (its init kills everything and hangs up, and so does the keeper), then removes what it leaves on
     * the host: cgroups, disk layers, state entry; then runs its poststop hooks, handing each failure to
     * {@code hookFailures} (null: logged as warnings).
     */
    public void remove(StateDirectory directory, Consumer<String> hookFailures) {
        try {
            socket.send(Message.of(Protocol.K_SHUTDOWN));
            long deadline = System.nanoTime() + REMOVE_TIMEOUT.toNanos();
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0 || !socket.awaitReadable(left)) {
                    // An init that does not end (stuck in a kernel call): its keeper's end closes its socket, which
                    // kills it; the entry's clean-up then does the rest.
                    LOG.log(Level.WARNING, "sandbox " + state.id() + " did not end within " + REMOVE_TIMEOUT.toSeconds()
                            + " s of its shutdown; killing its keeper " + state.ownerPid());
                    if (isKeeper(state)) {
                        Native.kill((int) state.ownerPid(), Native.SIGKILL);
                    }
                    break;
                }
                if (socket.receive() == null) {
                    break; // the keeper passes nothing on to a client without processes; it hangs up once the init did
                }
            }
        } catch (SandboxException goneAlready) {
            // then there is only the entry left to remove
        }
        removeEntry(directory, state.id(), hookFailures);
    }

    /**
     * Removes entry {@code id} once nobody holds it (its owner JVM and its keeper are gone), waiting up to 5 s for a
     * keeper that is exiting; then runs the poststop hooks it recorded when kept after its JVM, handing each failure to
     * {@code hookFailures} (null: logged as warnings).
     *
     * @throws SandboxException when something still holds it
     */
    public static void removeEntry(StateDirectory directory, String id, Consumer<String> hookFailures) {
        StateDirectory.AbandonedSandboxCleaner cleaner = hookFailures == null ? StaleSandboxes::clean
                : (entry, s) -> StaleSandboxes.clean(entry, s, hookFailures);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (directory.removeAbandoned(id::equals, cleaner) == 0) {
            if (directory.list().stream().noneMatch(s -> s.id().equals(id))) {
                return; // removed meanwhile
            }
            if (System.nanoTime() > deadline) {
                throw new SandboxException("sandbox " + id + " is still held by its owner; not removed", 0);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while removing sandbox " + id, e);
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
