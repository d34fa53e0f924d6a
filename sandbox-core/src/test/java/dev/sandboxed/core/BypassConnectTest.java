package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.ClearedProperty;
import dev.sandboxed.core.testing.Probes;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * With the port bypass (the default) every connect in the sandbox is done by the init (sandbox-init's sockcall.c):
 * a host socket the server accepted can neither be disconnected nor connected elsewhere, and every other connect
 * behaves as the kernel's own.
 */
@RequiresSandbox
@Timeout(300)
class BypassConnectTest {
    /**
     * argv: port. Takes the host socket by binding the published port, accepts one connection and tries, on it, what
     * would reach the host's loopback: disconnect, connect, TCP Fast Open, bind. Prints each errno ("ok" for none).
     */
    private static final String ESCAPE = """
            import ctypes, socket, sys
            libc = ctypes.CDLL(None, use_errno=True)
            def attempt(name, f):
                try:
                    f(); print(name, 'ok', flush=True)
                except OSError as e:
                    print(name, e.errno, flush=True)
            def unspec(c):
                if libc.connect(c.fileno(), ctypes.create_string_buffer(16), 16) != 0:
                    raise OSError(ctypes.get_errno(), 'connect AF_UNSPEC')
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', 8080)); s.listen(8)
            print('listening', s.getsockname()[1], flush=True)
            c, _ = s.accept()
            target = ('127.0.0.1', int(sys.argv[1]))
            attempt('unspec', lambda: unspec(c))
            attempt('connect', lambda: c.connect(target))
            attempt('fastopen', lambda: c.sendto(b'x', socket.MSG_FASTOPEN, target))
            attempt('listener-unspec', lambda: unspec(s))
            attempt('listener-connect', lambda: s.connect(target))
            attempt('bind', lambda: c.bind(('127.0.0.1', 0)))
            f = socket.socket()
            attempt('own-fastopen', lambda: f.sendto(b'x', socket.MSG_FASTOPEN, ('127.0.0.1', 9)))
            c.sendall(b'done'); c.close()
            """;
    /** Connects every way a workload does to servers in the sandbox; prints one line per case. */
    private static final String CLIENTS = """
            import errno, os, select, socket, struct, threading
            def serve(s):
                while True:
                    c, _ = s.accept(); c.sendall(b'hi'); c.close()
            def tcp(addr, blocking):
                c = socket.socket(); c.setblocking(blocking)
                r = c.connect_ex(addr)
                if r == errno.EINPROGRESS:
                    select.select([], [c], [], 10); r = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    out = 'inprogress ' + errno.errorcode.get(r, 'ok')
                else:
                    out = errno.errorcode.get(r, 'ok')
                if r == 0:
                    c.setblocking(True); out += ' ' + c.recv(2).decode()
                c.close(); return out
            srv = socket.socket(); srv.bind(('127.0.0.1', 9000)); srv.listen(64)
            threading.Thread(target=serve, args=(srv,), daemon=True).start()
            print('tcp blocking', tcp(('127.0.0.1', 9000), True))
            print('tcp nonblocking', tcp(('127.0.0.1', 9000), False))
            print('refused blocking', tcp(('127.0.0.1', 9001), True))
            print('refused nonblocking', tcp(('127.0.0.1', 9001), False))
            print('unreachable', tcp(('10.255.255.1', 80), True))
            os.makedirs('/tmp/u', exist_ok=True)
            for name in ('/tmp/u/abs.sock', '\\0sbx-abstract'):
                if not name.startswith('\\0') and os.path.exists(name): os.unlink(name)
                u = socket.socket(socket.AF_UNIX); u.bind(name); u.listen(8)
                threading.Thread(target=serve, args=(u,), daemon=True).start()
            os.chdir('/tmp/u')
            for name in ('/tmp/u/abs.sock', 'abs.sock', '\\0sbx-abstract', '\\0sbx-missing', 'missing.sock'):
                c = socket.socket(socket.AF_UNIX)
                r = c.connect_ex(name)
                out = errno.errorcode.get(r, 'ok')
                if r == 0:
                    cred = struct.unpack('3i', c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
                    out += ' ' + c.recv(2).decode()
                print('unix', name.replace('\\0', '@'), out)
            d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            print('udp', errno.errorcode.get(d.connect_ex(('127.0.0.1', 9002)), 'ok'), d.getpeername()[1])
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            f = open('/tmp/u/f', 'w')
            libc.connect(f.fileno(), ctypes.create_string_buffer(16), 16)
            print('notsock', errno.errorcode[ctypes.get_errno()])
            """;

    /**
     * argv: threads, connects per thread. Servers on TCP ports and AF_UNIX paths (absolute and relative to the cwd)
     * answer each connection with their name, the token the client sent and the client's uid (SO_PEERCRED, unix);
     * threads make blocking connects at once, each to every server in turn. Prints "ok N" or the first wrong answer.
     */
    private static final String CONCURRENT = """
            import os, socket, struct, sys, threading
            def serve(s, name, unix):
                while True:
                    c, _ = s.accept()
                    uid = struct.unpack('3i', c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1] if unix else -1
                    c.sendall(('%s %s %d' % (name, c.recv(64).decode(), uid)).encode()); c.close()
            d = '/tmp/c%d' % os.getuid(); os.makedirs(d, exist_ok=True); os.chdir(d)
            targets = []
            for i in range(4):
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(64)
                threading.Thread(target=serve, args=(s, 'tcp%d' % i, False), daemon=True).start()
                targets.append((socket.AF_INET, s.getsockname(), 'tcp%d' % i, -1))
                u = socket.socket(socket.AF_UNIX); u.bind('u%d' % i); u.listen(64)
                threading.Thread(target=serve, args=(u, 'unix%d' % i, True), daemon=True).start()
                targets.append((socket.AF_UNIX, '%s/u%d' % (d, i) if i % 2 else 'u%d' % i, 'unix%d' % i, os.getuid()))
            threads, connects, wrong, done = int(sys.argv[1]), int(sys.argv[2]), [], []
            go = threading.Barrier(threads)
            def client(t):
                go.wait()
                for j in range(connects):
                    family, addr, name, uid = targets[(t + j) % len(targets)]
                    c = socket.socket(family); c.connect(addr); token = '%d-%d' % (t, j); c.sendall(token.encode())
                    got, want = c.recv(64).decode(), '%s %s %d' % (name, token, uid)
                    c.close()
                    (done if got == want else wrong).append('%s != %s' % (got, want))
            ts = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
            for t in ts: t.start()
            for t in ts: t.join()
            print(wrong[0] if wrong else 'ok %d' % len(done))
            """;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    @RegisterExtension
    static final ClearedProperty BYPASS_DEFAULT = new ClearedProperty("sandboxed.publish.bypass"); // auto

    @Test
    void anAcceptedHostSocketCannotBeDisconnectedNorReachAnotherHostPort() throws Exception {
        try (ServerSocketChannel other = ServerSocketChannel.open();
                Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            other.configureBlocking(false);
            int otherPort = ((InetSocketAddress) other.getLocalAddress()).getPort();
            SandboxProcess p = sandbox.spawn(ProcessSpec.of("python3", "-c", ESCAPE, Integer.toString(otherPort)));
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).as("the server holds the host socket")
                    .isEqualTo("listening " + sandbox.mappedPort(8080));
            String answer;
            try (Socket client = new Socket("127.0.0.1", sandbox.mappedPort(8080))) {
                client.setSoTimeout(60_000);
                answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            } catch (IOException e) { // a disconnect that went through resets the test's connection
                answer = e.toString();
            }
            List<String> lines = out.lines().toList();
            assertThat(p.waitFor().succeeded()).as(lines::toString).isTrue();
            assertThat(lines).containsExactly("unspec 13", "connect 13", "fastopen 95", "listener-unspec 13",
                    "listener-connect 13", "bind 13", "own-fastopen 95");
            assertThat(answer).isEqualTo("done");
            assertThat(other.accept()).as("the host's other server got no connection").isNull();
        }
    }

    @Test
    void connectsInsideBehaveAsTheKernelsOwn() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            ExecResult r = sandbox.exec("python3", "-c", CLIENTS);
            assertThat(r.stdout().lines()).as(r.toString()).containsExactly(
                    "tcp blocking ok hi", "tcp nonblocking inprogress ok hi",
                    "refused blocking ECONNREFUSED", "refused nonblocking inprogress ECONNREFUSED",
                    "unreachable ENETUNREACH",
                    "unix /tmp/u/abs.sock ok hi", "unix abs.sock ok hi", "unix @sbx-abstract ok hi",
                    "unix @sbx-missing ECONNREFUSED", "unix missing.sock ENOENT",
                    "udp ok 9002", "notsock ENOTSOCK");
        }
    }

    @Test
    void aPathnameConnectChecksTheCallersPermissions() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().idMapping(IdMappingMode.RANGE)
                .publish(PortMapping.tcp(8080)).build())) {
            String serve = "import os, socket, time\nos.makedirs('/tmp/p', exist_ok=True); os.chmod('/tmp/p', 0o700)\n"
                    + "s = socket.socket(socket.AF_UNIX); s.bind('/tmp/p/s'); os.chmod('/tmp/p/s', 0o777)\n"
                    + "s.listen(8); open('/tmp/ready', 'w').close(); time.sleep(600)\n";
            SandboxProcess server = sandbox.spawn(ProcessSpec.of("python3", "-c", serve));
            sandbox.exec("sh", "-c", "while [ ! -f /tmp/ready ]; do sleep 0.05; done");
            String connect = "import errno, socket\nc = socket.socket(socket.AF_UNIX)\n"
                    + "print(errno.errorcode.get(c.connect_ex('/tmp/p/s'), 'ok'))\n";
            ExecResult asRoot = sandbox.exec("python3", "-c", connect);
            assertThat(asRoot.stdout()).as(asRoot.toString()).isEqualTo("ok\n");
            ExecResult asUser = sandbox.exec(ProcessSpec.builder("python3", "-c", connect)
                    .user(new UserSpec(1000, 1000)).build());
            assertThat(asUser.stdout()).as(asUser.toString()).isEqualTo("EACCES\n");
            server.kill();
        }
    }

    @Test
    void concurrentBlockingConnectsEachReachTheirOwnPeerAsTheCaller() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().idMapping(IdMappingMode.RANGE)
                .publish(PortMapping.tcp(8080)).build())) {
            for (UserSpec user : List.of(new UserSpec(0, 0), new UserSpec(1000, 1000))) {
                ExecResult r = sandbox.exec(ProcessSpec.builder("python3", "-c", CONCURRENT, "16", "40")
                        .user(user).build());
                assertThat(r.stdout()).as(user + ": " + r.stderr()).isEqualTo("ok 640\n");
            }
        }
    }

    @Test
    void atMost128BlockingConnectsWaitAtOnceAndTheirHelpersAreReaped() throws Exception {
        // 128 connects wait (SO_SNDTIMEO ends them) on a listener whose full queue drops SYNs; one more gets EAGAIN
        // at once (EINPROGRESS after its own timeout would mean it waited); after they timed out, the next round gets
        // the same again: every helper was reaped.
        String limit = """
                import errno, socket, struct, threading, time
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0); addr = s.getsockname()
                held = [socket.socket() for i in range(4)]
                for c in held: c.setblocking(False); c.connect_ex(addr)
                def connect(seconds):
                    c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack('ll', seconds, 0))
                    r = errno.errorcode.get(c.connect_ex(addr), 'ok'); c.close(); return r
                for round in range(2):
                    results = []
                    ts = [threading.Thread(target=lambda: results.append(connect(5))) for i in range(128)]
                    for t in ts: t.start()
                    time.sleep(2)
                    print(round, 'beyond', connect(1), flush=True)
                    for t in ts: t.join()
                    print(round, 'waited', sorted(set(results)), len(results), flush=True)
                """;
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            ExecResult r = sandbox.exec("python3", "-c", limit);
            assertThat(r.stdout().lines()).as(r.stderr()).containsExactly("0 beyond EAGAIN",
                    "0 waited ['EINPROGRESS'] 128", "1 beyond EAGAIN", "1 waited ['EINPROGRESS'] 128");
        }
    }

    /** Where each descriptor in a /proc/PID/fd directory points; empty when it cannot be read (the process ended). */
    private static List<String> descriptorTargets(Path fdDir) {
        List<String> targets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(fdDir)) {
            for (Path fd : fds.toList()) {
                targets.add(Files.readSymbolicLink(fd).toString());
            }
        } catch (IOException e) {
            targets.clear();
        }
        return targets;
    }

    /** The init's children that are clones of it (its name, not an exec'd program's): its connect helpers. */
    private static List<String> connectHelpers(Sandbox sandbox) {
        List<String> helpers = new ArrayList<>();
        try {
            String init = Files.readString(Path.of("/proc/" + sandbox.pid() + "/comm")).trim();
            Path children = Path.of("/proc/" + sandbox.pid() + "/task/" + sandbox.pid() + "/children");
            for (String pid : Files.readString(children).trim().split(" ")) {
                if (!pid.isEmpty() && Files.readString(Path.of("/proc/" + pid + "/comm")).trim().equals(init)) {
                    helpers.add(pid);
                }
            }
        } catch (IOException e) {
            helpers.clear(); // one ended while we read: ask again
        }
        return helpers;
    }

    @Test
    void aConnectHelperHoldsOnlyItsCallsDescriptorsAndEndsWithItsCaller() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            Path initFds = Path.of("/proc/" + sandbox.pid() + "/fd");
            // The init and its helpers are not dumpable: only real root may list their descriptors.
            Assumptions.assumeTrue(Files.isReadable(initFds), "the init's descriptors are readable");
            // An AF_UNIX listener with a full queue: a blocking connect to it waits in the helper until it ends.
            String stall = "import os, socket, threading\n"
                    + "s = socket.socket(socket.AF_UNIX); s.bind('/tmp/full.sock'); s.listen(0)\n"
                    + "held = [socket.socket(socket.AF_UNIX) for i in range(2)]\n"
                    + "for c in held: c.setblocking(False); c.connect_ex('/tmp/full.sock')\n"
                    + "print(threading.get_native_id(), flush=True)\n"
                    + "socket.socket(socket.AF_UNIX).connect('/tmp/full.sock')\n";
            SandboxProcess caller = sandbox.spawn(ProcessSpec.of("python3", "-c", stall));
            BufferedReader out = new BufferedReader(new InputStreamReader(caller.stdout(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).as("the caller's thread").isNotNull().matches("\\d+");
            // The listener and the caller's socket, and the root and working directory it took: no copy of the
            // init's control socket, epoll or forwarded connections, which it would keep open while it waits. Read
            // until it settles: a helper just cloned holds the init's descriptors for a moment, until it closes them.
            List<String> helpers = new ArrayList<>();
            List<String> targets = new ArrayList<>();
            boolean settled = Probes.eventually(10, () -> {
                helpers.clear();
                targets.clear();
                helpers.addAll(connectHelpers(sandbox));
                if (helpers.size() != 1) {
                    return false;
                }
                targets.addAll(descriptorTargets(Path.of("/proc/" + helpers.get(0) + "/fd")));
                return !targets.isEmpty() && targets.size() <= 4 && targets.stream().noneMatch(t -> t.contains("eventpoll") || t.contains("signalfd"));
            });
            assertThat(settled).as("one connect helper waits, holding only its call's descriptors: %s %s", helpers, targets)
                    .isTrue();
            caller.kill();
            caller.waitFor();
            assertThat(Probes.eventually(10, () -> !Files.exists(Path.of("/proc/" + helpers.get(0)))))
                    .as("the helper ends once its caller no longer waits").isTrue();
        }
    }

    @Test
    void aCallerInANestedUserNamespaceGetsNoCapabilitiesForItsConnect() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().idMapping(IdMappingMode.RANGE)
                .allowNestedUserNamespaces(true).publish(PortMapping.tcp(8080)).build())) {
            String serve = "import os, socket, time\nos.makedirs('/tmp/p', exist_ok=True); os.chmod('/tmp/p', 0o700)\n"
                    + "s = socket.socket(socket.AF_UNIX); s.bind('/tmp/p/s'); os.chmod('/tmp/p/s', 0o777)\n"
                    + "s.listen(8); open('/tmp/ready', 'w').close(); time.sleep(600)\n";
            SandboxProcess server = sandbox.spawn(ProcessSpec.of("python3", "-c", serve));
            sandbox.exec("sh", "-c", "while [ ! -f /tmp/ready ]; do sleep 0.05; done");
            // uid 1000 becomes root of a user namespace of its own: all capabilities, but only there.
            ExecResult nested = sandbox.exec(ProcessSpec.builder("unshare", "-Ur", "python3", "-c",
                    "import errno, os, socket\nc = socket.socket(socket.AF_UNIX)\n"
                            + "print(os.geteuid(), errno.errorcode.get(c.connect_ex('/tmp/p/s'), 'ok'))\n")
                    .user(new UserSpec(1000, 1000)).build());
            assertThat(nested.stdout()).as(nested.toString()).isEqualTo("0 EACCES\n");
            server.kill();
        }
    }

    @Test
    void aBlockedConnectDoesNotStallTheSandbox() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            // A listener whose queue is full drops further SYNs: a blocking connect then waits for minutes.
            String stall = "import os, socket, threading\n"
                    + "s = socket.socket(); s.bind(('127.0.0.1', 9100)); s.listen(0)\n"
                    + "held = []\n"
                    + "for i in range(4):\n"
                    + "    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', 9100)); held.append(c)\n"
                    + "print(threading.get_native_id(), flush=True)\n"
                    + "socket.socket().connect(('127.0.0.1', 9100))\n"
                    + "print('connected', flush=True)\n";
            SandboxProcess p = sandbox.spawn(ProcessSpec.of("python3", "-c", stall));
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            String tid = out.readLine();
            assertThat(tid).as("the staller's thread").isNotNull().matches("\\d+");
            String wchan = "";
            for (int i = 0; i < 200 && !wchan.contains("seccomp"); i++) {
                wchan = sandbox.exec("cat", "/proc/" + tid + "/wchan").stdout();
                if (!wchan.contains("seccomp")) {
                    Thread.sleep(50);
                }
            }
            assertThat(wchan).as("the staller waits for the init's answer").contains("seccomp");
            ExecResult meanwhile = sandbox.exec("sh", "-c", "echo meanwhile");
            assertThat(meanwhile.stdout()).isEqualTo("meanwhile\n");
            assertThat(p.isAlive()).as("the connect still waits").isTrue();
            p.kill();
            p.waitFor();
        }
    }

    @Test
    void aClientReachesANetworkPeer() throws Exception {
        try (Network net = runtime.createNetwork("bypassconnect");
                Sandbox web = runtime.start(SandboxSpec.builder().hostname("web").joinNetwork("bypassconnect")
                        .publish(PortMapping.tcp(8080)).build());
                Sandbox peer = runtime.start(SandboxSpec.builder().hostname("peer").joinNetwork("bypassconnect")
                        .build())) {
            peer.spawn(ProcessSpec.of("python3", "-c", "import socket\ns = socket.socket()\n"
                    + "s.bind(('0.0.0.0', 7000)); s.listen(8)\nwhile True:\n    c, _ = s.accept(); c.sendall(b'peer'); c.close()\n"));
            String client = "import socket, sys, time\nfor i in range(100):\n    try:\n"
                    + "        c = socket.create_connection(('peer', 7000)); print(c.recv(4).decode()); break\n"
                    + "    except ConnectionRefusedError:\n        time.sleep(0.05)\n";
            assertThat(net.subnet()).isNotEmpty();
            ExecResult r = web.exec("python3", "-c", client);
            assertThat(r.stdout()).as(r.toString()).isEqualTo("peer\n");
        }
    }
}
