package dev.sandboxed.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Throughput and connect latency through a published port against a direct loopback connection to the same server
 * (a python3 process on the host, the same script in a sandbox with sandboxed.publish.bypass=off; "bypassed": in a
 * sandbox with the default, auto, where the server takes the host socket itself), and against the port forwarding of slirp4netns
 * ({@code --api-socket}, {@code add_hostfwd}; the server in {@code unshare -Urn}) and of pasta ({@code -t}; the server
 * as pasta's command) where they are installed. The paths take turns within each round, so load changes hit them all
 * alike. Not a test: prints medians, the slow tail (p10 of throughput, p90 of latency) and ratios to direct. Last,
 * what the bypass costs connects made inside (the init does each one): a loop of connects to a server in the same
 * sandbox, blocking and non-blocking, in both sandboxes ({@link ConnectInsideBench}, which also runs alone).
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
            s.bind((sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1', int(sys.argv[1]))); s.listen(512)
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

    /** One way to reach a server: its name and the host loopback port that leads to it. */
    private record Route(String name, int port) {
    }

    public static void main(String[] args) throws Exception {
        long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 1) << 30;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int connects = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        String seccomp = args.length > 3 ? args[3] : "default";
        List<Process> helpers = new ArrayList<>();
        SandboxSpec spec = SandboxSpec.builder().seccomp(seccomp).publish(PortMapping.tcp(8080)).build();
        try (Sandbox sandbox = startWith(spec, "off"); Sandbox bypassed = startWith(spec, "auto")) {
            int hostPort = freePort();
            Process direct = start(helpers, "python3", "-c", SERVER, "" + hostPort);
            awaitListening(direct.getInputStream());
            SandboxProcess server = sandbox.spawn(ProcessSpec.of("python3", "-c", SERVER, "8080"));
            awaitListening(server.stdout());
            SandboxProcess bypassServer = bypassed.spawn(ProcessSpec.of("python3", "-c", SERVER, "8080", "0.0.0.0"));
            awaitListening(bypassServer.stdout());
            List<Route> paths = new ArrayList<>(List.of(new Route("direct", hostPort),
                    new Route("mapped", sandbox.mappedPort(8080)), new Route("bypassed", bypassed.mappedPort(8080))));
            slirp4netns(helpers).ifPresent(paths::add);
            pasta(helpers).ifPresent(paths::add);
            System.out.printf(Locale.ROOT, "%d MiB per transfer, %d runs; %d connects; user %s; seccomp %s; paths %s%n",
                    bytes >> 20, runs, connects, System.getProperty("user.name"), seccomp,
                    paths.stream().map(r -> r.name() + " (port " + r.port() + ")").toList());
            for (Route path : paths) {
                upload(path.port(), bytes / 4); // warm up
            }
            Map<String, List<Double>> up = new LinkedHashMap<>(), down = new LinkedHashMap<>(), lat = new LinkedHashMap<>();
            for (int i = 0; i < runs; i++) {
                for (Route path : paths) {
                    up.computeIfAbsent(path.name(), k -> new ArrayList<>()).add(upload(path.port(), bytes));
                }
                for (Route path : paths) {
                    down.computeIfAbsent(path.name(), k -> new ArrayList<>()).add(download(path.port(), bytes));
                }
            }
            for (int i = 0; i < connects; i++) {
                for (Route path : paths) {
                    lat.computeIfAbsent(path.name(), k -> new ArrayList<>()).add(firstByte(path.port()));
                }
            }
            report("upload Gbit/s", up, true);
            report("download Gbit/s", down, true);
            report("connect + 1-byte echo, us", lat, false);
            ConnectInsideBench.Result inside = ConnectInsideBench.measure(sandbox, bypassed, runs, connects * 10);
            report("connect inside, blocking, us", inside.blocking(), false);
            report("connect inside, non-blocking, us", inside.nonBlocking(), false);
        } finally {
            helpers.forEach(Process::destroyForcibly);
        }
    }

    /** The sandbox with sandboxed.publish.bypass set to {@code bypass} (auto: its server takes the host socket). */
    static Sandbox startWith(SandboxSpec spec, String bypass) {
        String before = System.getProperty("sandboxed.publish.bypass");
        System.setProperty("sandboxed.publish.bypass", bypass);
        try {
            return Sandbox.start(spec);
        } finally {
            if (before == null) {
                System.clearProperty("sandboxed.publish.bypass");
            } else {
                System.setProperty("sandboxed.publish.bypass", before);
            }
        }
    }

    private static Process start(List<Process> helpers, String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        helpers.add(p);
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static boolean installed(String command) {
        return Stream.of("/usr/bin/", "/bin/", "/usr/sbin/").anyMatch(d -> Files.isExecutable(Path.of(d + command)));
    }

    /** The server in {@code unshare -Urn}, slirp4netns attached to it, a host port added through its API socket. */
    private static Optional<Route> slirp4netns(List<Process> helpers) throws Exception {
        if (!installed("slirp4netns") || !installed("unshare")) {
            return Optional.empty();
        }
        Process server = start(helpers, "unshare", "-Urn", "python3", "-c", SERVER, "8080", "0.0.0.0");
        awaitListening(server.getInputStream());
        Path dir = Files.createTempDirectory("bench-slirp");
        Path api = dir.resolve("api.sock");
        dir.toFile().deleteOnExit();
        api.toFile().deleteOnExit(); // deleted first
        start(helpers, "slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback", "--api-socket",
                api.toString(), "" + server.pid(), "tap0");
        int port = freePort();
        String answer = "";
        for (int i = 0; i < 500 && !answer.contains("return"); i++) {
            Thread.sleep(10);
            if (Files.exists(api)) {
                answer = slirpApi(api, "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", "
                        + "\"host_addr\": \"127.0.0.1\", \"host_port\": " + port + ", \"guest_port\": 8080}}");
            }
        }
        if (!answer.contains("return")) {
            throw new IllegalStateException("slirp4netns add_hostfwd: " + answer);
        }
        return Optional.of(new Route("slirp4netns", port));
    }

    private static String slirpApi(Path socket, String request) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The server as pasta's command in its own namespaces, a host loopback port forwarded with -t. */
    private static Optional<Route> pasta(List<Process> helpers) throws Exception {
        if (!installed("pasta")) {
            return Optional.empty();
        }
        int port = freePort();
        List<String> command = new ArrayList<>(List.of("pasta", "--quiet", "--foreground"));
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("--runas", "0:0")); // else it switches to nobody, who cannot map itself
        }
        command.addAll(List.of("--config-net", "-t", "127.0.0.1/" + port + ":8080", "-T", "none", "-u", "none", "-U",
                "none", "--", "python3", "-c", SERVER, "8080", "0.0.0.0"));
        Process server = start(helpers, command.toArray(String[]::new));
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null;) {
            if (line.equals("listening")) {
                return Optional.of(new Route("pasta", port));
            }
        }
        throw new IllegalStateException("pasta's server did not start");
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
            if (!count.equals(Long.toString(bytes))) {
                throw new IllegalStateException("port " + port + ": server counted '" + count + "' of " + bytes);
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
            throw new IllegalStateException("port " + port + ": received " + got + " of " + bytes);
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

    private static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        if (p == 0.5) {
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }
        return sorted.get(Math.min(n - 1, (int) Math.ceil(p * n) - 1));
    }

    /** Medians, the slow tail (p10 of a rate, p90 of a time) and each median's ratio to the first path's. */
    static void report(String what, Map<String, List<Double>> byPath, boolean rate) {
        double direct = percentile(byPath.values().iterator().next(), 0.5);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s", what));
        for (var e : byPath.entrySet()) {
            double median = percentile(e.getValue(), 0.5);
            line.append(String.format(Locale.ROOT, "  %s %.2f (%s %.2f, %.2fx)", e.getKey(), median, rate ? "p10" : "p90",
                    percentile(e.getValue(), rate ? 0.1 : 0.9), median / direct));
        }
        System.out.println(line);
    }
}
