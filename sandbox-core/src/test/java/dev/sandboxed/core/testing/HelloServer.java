package dev.sandboxed.core.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A host-loopback server that greets every connection with one line, on a daemon thread of its own. */
public final class HelloServer {
    private HelloServer() {
    }

    /** Listens on an ephemeral loopback port until the returned socket is closed. */
    public static ServerSocket start(String greeting) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    c.getOutputStream().write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    return;
                }
            }
        }, "hello-" + greeting);
        t.setDaemon(true);
        t.start();
        return server;
    }
}
