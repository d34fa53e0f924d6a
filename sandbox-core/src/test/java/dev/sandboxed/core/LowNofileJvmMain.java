package dev.sandboxed.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.Probes;

/**
 * A child JVM started under a low descriptor limit (which its sandbox's init inherits) by
 * {@link PortForwardingDescriptorLimitTest}: it fills a published port whose server never accepts with more
 * connections than the init can hold, then reports what a client and an exec saw.
 */
public final class LowNofileJvmMain {
    private static final String NEVER_ACCEPTS = """
            import socket, time
            s = socket.socket(); s.bind(('127.0.0.1', 8080)); s.listen(4096)
            print('listening', flush=True)
            time.sleep(3600)
            """;

    private LowNofileJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(args[0]);
        try (Sandbox s = Sandbox.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            SandboxProcess server = s.spawn(ProcessSpec.of("python3", "-c", NEVER_ACCEPTS));
            String first = new BufferedReader(new InputStreamReader(server.stdout(), StandardCharsets.UTF_8)).readLine();
            System.out.println("SERVER " + first);
            List<SocketChannel> open = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                SocketChannel c = SocketChannel.open(new InetSocketAddress(s.host(), s.mappedPort(8080)));
                c.configureBlocking(false);
                open.add(c);
            }
            // Those beyond the init's share of descriptors are accepted and reset.
            boolean refused = Probes.eventually(60, () -> open.stream().anyMatch(LowNofileJvmMain::reset));
            System.out.println("REFUSED " + refused);
            System.out.println("EXEC " + s.exec("echo", "alive").stdout().strip());
            System.out.println("STATE " + s.state());
            for (SocketChannel c : open) {
                c.close();
            }
        }
        System.out.println("DONE");
    }

    private static boolean reset(SocketChannel c) {
        try {
            return c.read(ByteBuffer.allocate(1)) < 0;
        } catch (IOException e) {
            return true;
        }
    }
}
