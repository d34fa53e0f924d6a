package dev.sandboxed.cli;

import java.nio.charset.StandardCharsets;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * The other JVM of {@link OpsCommandsTest}: holds a running sandbox (main process {@code sleep}, 64 MiB limit, a file
 * in its /tmp) and a kept one, prints their ids, reports when the first one's main process exits, and closes
 * everything when its stdin ends.
 */
public final class SandboxHolder {
    private SandboxHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (SandboxRuntime runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties())) {
            Sandbox held = runtime.startWithMain(SandboxSpec.builder().hostname("opsbox").memory(64L << 20).build(),
                    ProcessSpec.of("sleep", "1000"));
            if (held.exec("sh", "-c", "echo held-file > /tmp/marker").exitCode() != 0) {
                throw new IllegalStateException("could not write the marker");
            }
            Sandbox kept = runtime.start(SandboxSpec.builder().hostname("keptbox").build());
            kept.keep();
            System.out.println("ready " + held.id() + " " + kept.id());
            System.out.flush();
            Thread watcher = new Thread(() -> {
                int code = held.mainProcess().orElseThrow().waitFor().exitCode();
                System.out.println("main exited " + code);
                System.out.flush();
            });
            watcher.setDaemon(true);
            watcher.start();
            byte[] ignored = System.in.readAllBytes(); // until the test closes our stdin
            System.out.println("closing " + new String(ignored, StandardCharsets.UTF_8).length());
        }
    }
}
