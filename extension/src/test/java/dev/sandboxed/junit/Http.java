package dev.sandboxed.junit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.0 over plain sockets, for tests of this module, which reads neither java.net.http nor jdk.httpserver: a GET
 * that returns the whole response, and a server on an ephemeral loopback port that answers every request.
 */
final class Http {
    private Http() {
    }

    /** The response to one GET of {@code uri}, status line, headers and body, as the server sent it. */
    static String get(URI uri) throws IOException {
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + uri.getRawPath() + " HTTP/1.0\r\nHost: " + uri.getHost() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The status code of a response {@link #get} returned. */
    static int status(String response) {
        return Integer.parseInt(response.split(" ", 3)[1]);
    }

    /** The body of a response {@link #get} returned. */
    static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    /** Answers every request with 200 and {@code prefix} followed by the request line, until closed. */
    static final class Server implements AutoCloseable {
        private final ServerSocket socket;

        Server(int port, String prefix) throws IOException {
            socket = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket c = socket.accept()) {
                        c.setSoTimeout(10_000);
                        String requestLine = readLine(c.getInputStream());
                        byte[] body = (prefix + requestLine).getBytes(StandardCharsets.UTF_8);
                        OutputStream out = c.getOutputStream();
                        out.write(("HTTP/1.0 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                    } catch (IOException e) {
                        // closed, or a client that went away: next one
                    }
                }
            }, "test-http-server");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }
    }
}
