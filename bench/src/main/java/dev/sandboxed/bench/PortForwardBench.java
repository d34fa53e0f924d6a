package dev.sandboxed.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Throughput and connect latency through a published port against a direct loopback connection to the same server
 * (a python3 process on the host, the same script in a sandbox). Not a test: prints medians and ratios.
 *
 * <pre>java -cp bench/target/sandboxed-bench.jar dev.sandboxed.bench.PortForwardBench [GiB] [runs] [connects] [SECCOMP]</pre>
 *
 * SECCOMP is the sandbox's profile ({@code default}; {@code unconfined} shows what the filter costs the server).
 */
public final class PortForwardBench {
    /** 'S': reads to EOF, answers the count; 'G' + u64: sends that many bytes; 'E': echoes one byte. */
    private static final String SERVER = """
            import socket, struct, sys, threading
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(512)
            def serve(c):
                with c:
                    mode = c.recv(1)
                    if mode == b'S':
                        buf = bytearray(1 << 20); total = 0
                        while True:
                            n = c.recv_into(buf)
                            if not n: break
                            total += n
                        c.sendall(str(total).encode())
                    elif mode == b'G':
                        left = struct.unpack('>Q', c.recv(8))[0]; block = bytes(1 << 20)
                        while left > 0:
                            n = min(left, len(block)); c.sendall(block[:n] if n < len(block) else block); left -= n
                    else:
                        c.sendall(c.recv(1))
            print('listening', flush=True)
            while True:
                c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
            """;

    private PortForwardBench() {
    }

    public static void main(String[] args) throws Exception {
        long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 1) << 30;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int connects = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        String seccomp = args.length > 3 ? args[3] : "default";
        int hostPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            hostPort = probe.getLocalPort();
        }
        Process direct = new ProcessBuilder("python3", "-c", SERVER, "" + hostPort).redirectErrorStream(true).start();
        try (Sandbox sandbox = Sandbox.start(SandboxSpec.builder().seccomp(seccomp).publish(PortMapping.tcp(8080)).build())) {
            awaitListening(direct.getInputStream());
            SandboxProcess server = sandbox.spawn(ProcessSpec.of("python3", "-c", SERVER, "8080"));
            awaitListening(server.stdout());
            int mapped = sandbox.mappedPort(8080);
            System.out.printf(Locale.ROOT, "%d MiB per transfer, %d runs; %d connects; user %s; seccomp %s%n", bytes >> 20,
                    runs, connects, System.getProperty("user.name"), seccomp);
            for (int warm = 0; warm < 2; warm++) {
                upload(hostPort, bytes / 4);
                upload(mapped, bytes / 4);
            }
            List<Double> upDirect = new ArrayList<>(), upMapped = new ArrayList<>();
            List<Double> downDirect = new ArrayList<>(), downMapped = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                upDirect.add(upload(hostPort, bytes));
                upMapped.add(upload(mapped, bytes));
                downDirect.add(download(hostPort, bytes));
                downMapped.add(download(mapped, bytes));
            }
            List<Double> latDirect = new ArrayList<>(), latMapped = new ArrayList<>();
            for (int i = 0; i < connects; i++) {
                latDirect.add(firstByte(hostPort));
                latMapped.add(firstByte(mapped));
            }
            report("upload Gbit/s", median(upDirect), median(upMapped));
            report("download Gbit/s", median(downDirect), median(downMapped));
            report("connect + 1-byte echo, us", median(latDirect), median(latMapped));
        } finally {
            direct.destroyForcibly();
        }
    }

    private static void awaitListening(InputStream out) throws IOException {
        String line = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8)).readLine();
        if (!"listening".equals(line)) {
            throw new IllegalStateException("server did not start: " + line);
        }
    }

    /** Gbit/s of sending {@code bytes} until the server has counted them. */
    private static double upload(int port, long bytes) throws IOException {
        byte[] block = new byte[1 << 20];
        long start = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write('S');
            for (long left = bytes; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(left, block.length));
            }
            s.shutdownOutput();
            String count = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (Long.parseLong(count) != bytes) {
                throw new IllegalStateException("server counted " + count + " of " + bytes);
            }
        }
        return bytes * 8 / ((System.nanoTime() - start) / 1e9) / 1e9;
    }

    private static double download(int port, long bytes) throws IOException {
        byte[] block = new byte[1 << 20];
        long start = System.nanoTime();
        long got = 0;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(ByteBuffer.allocate(9).put((byte) 'G').putLong(bytes).array());
            InputStream in = s.getInputStream();
            for (int n; (n = in.read(block)) > 0;) {
                got += n;
            }
        }
        if (got != bytes) {
            throw new IllegalStateException("received " + got + " of " + bytes);
        }
        return bytes * 8 / ((System.nanoTime() - start) / 1e9) / 1e9;
    }

    /** Microseconds from connect until the server's echo of one byte arrived. */
    private static double firstByte(int port) throws IOException {
        long start = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setTcpNoDelay(true);
            s.getOutputStream().write(new byte[] {'E', 1});
            if (s.getInputStream().read() != 1) {
                throw new IllegalStateException("no echo");
            }
        }
        return (System.nanoTime() - start) / 1e3;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void report(String what, double direct, double mapped) {
        System.out.printf(Locale.ROOT, "%-28s direct %10.2f   mapped %10.2f   mapped/direct %.2f%n", what, direct, mapped,
                mapped / direct);
    }
}
