package dev.sandboxed.cli;

import java.time.Duration;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * The other JVM of {@link KeepAfterJvmCliTest#keptSandboxShowsWhatItsJvmShowedAndRunsPoststopHooksOnRm}: starts a
 * sandbox with a main process, a memory limit and two poststop hooks (args[0] records its state JSON, args[1] fails),
 * keeps it after this JVM, prints its id and exits.
 */
public final class KeepWithMainOwner {
    private KeepWithMainOwner() {
    }

    public static void main(String[] args) {
        SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties()
                .withKeepAfterJvm(true, Duration.ofMinutes(10)));
        SandboxSpec spec = SandboxSpec.builder().memory(64L << 20)
                .hook(Hook.of(Hook.Stage.POSTSTOP, args[0]).withEnv("PATH=/usr/bin:/bin"))
                .hook(Hook.of(Hook.Stage.POSTSTOP, args[1]).withEnv("PATH=/usr/bin:/bin").withTimeout(Duration.ofSeconds(20)))
                .build();
        Sandbox s = runtime.startWithMain(spec, ProcessSpec.of("sleep", "300"));
        s.keep();
        System.out.println("KEPT " + s.id());
        System.out.flush();
        System.exit(0); // the runtime closes at exit, as every runtime does
    }
}
