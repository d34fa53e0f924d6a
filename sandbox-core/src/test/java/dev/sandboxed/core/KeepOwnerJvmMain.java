package dev.sandboxed.core;

import java.time.Duration;

import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Sizes;

/**
 * Run in a child JVM by {@link KeepAfterJvmTest}: starts a sandbox with background processes, keeps it (after the JVM
 * when args[0] is {@code after}, or {@code after-bypass}: then with TCP port 8080 published and the port bypass on;
 * with args[1] as sandboxed.keep.maxAge), then exits (args[2] {@code exit}) or waits to
 * be killed ({@code wait}); args[3], when given, is a poststop hook.
 */
public final class KeepOwnerJvmMain {
    /** How many processes write ticks to /tmp/ticks-0 and on. */
    static final int WRITERS = 5;

    private KeepOwnerJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        Duration maxAge = Sizes.parseDuration(RuntimeConfig.KEEP_MAX_AGE_PROPERTY, args[1]);
        boolean bypass = args[0].equals("after-bypass");
        if (bypass) {
            System.setProperty("sandboxed.publish.bypass", "auto");
        }
        SandboxRuntime runtime = SandboxRuntime.create(
                RuntimeConfig.fromSystemProperties().withKeepAfterJvm(args[0].startsWith("after"), maxAge));
        SandboxSpec.Builder spec = SandboxSpec.builder().env("KEPT", "yes");
        if (bypass) {
            spec.publish(PortMapping.tcp(8080));
        }
        if (args.length > 3) {
            spec.hook(Hook.of(Hook.Stage.POSTSTOP, args[3]).withEnv("PATH=/usr/bin:/bin"));
        }
        Sandbox s = runtime.start(spec.build());
        s.spawn(ProcessSpec.of("sleep", "300"));
        // Each writes to its stdout pipe: after the JVM, only the keeper's draining keeps it from SIGPIPE. With the
        // sleep, 12 pipes: more than the hand-over message carries (MAX_FDS - 2).
        for (int i = 0; i < WRITERS; i++) {
            s.spawn(ProcessSpec.of("sh", "-c", "while echo tick | tee -a /tmp/ticks-" + i + "; do sleep 0.1; done"));
        }
        System.out.println("SANDBOX " + s.pid() + " " + s.id());
        s.keep();
        System.out.println("KEPT " + s.state());
        System.out.flush();
        if (args[2].equals("exit")) {
            System.exit(0); // the runtime closes at exit, as every runtime does
        }
        Thread.sleep(300_000);
    }
}
