package dev.sandboxed.cli;

import dev.sandboxed.core.internal.control.ControlServer;
import dev.sandboxed.core.internal.os.UnixSockets;
import dev.sandboxed.core.internal.protocol.ControlSocket;
import dev.sandboxed.core.internal.protocol.Message;
import dev.sandboxed.core.internal.protocol.Protocol;

/**
 * For {@link OpsCommandsTest}: what another user could do, knowing a JVM's pid, its uid and a sandbox id: connect to
 * that JVM's operations socket directly (none of ControlClient's checks) and ask for an exec. Prints the answer.
 * Arguments: PID UID ID.
 */
public final class RawClient {
    private RawClient() {
    }

    public static void main(String[] args) {
        String name = ControlServer.socketName(Integer.parseInt(args[1]), Long.parseLong(args[0]));
        try (ControlSocket socket = new ControlSocket(UnixSockets.connect(name, "the JVM"), "the JVM")) {
            String request = "{\"op\":\"exec\",\"id\":\"" + args[2] + "\",\"command\":[\"id\"]}";
            try {
                socket.send(Message.of(Protocol.K_CONTROL_REQUEST).putString(Protocol.F_CONTROL_JSON, request), 0, 1, 2);
            } catch (RuntimeException refusedBeforeReading) {
                // the answer is queued all the same
            }
            ControlSocket.Received r = socket.receive();
            System.out.println(r == null ? "hung up" : r.message().string(Protocol.F_CONTROL_JSON, "?"));
        }
    }
}
