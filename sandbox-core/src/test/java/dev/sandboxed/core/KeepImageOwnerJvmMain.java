package dev.sandboxed.core;

import java.nio.file.Path;
import java.time.Duration;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Run in a child JVM by {@link KeepAfterJvmTest}: starts a sandbox from image args[1] of the cache in args[0] (pulled
 * there already), keeps it after this JVM and exits.
 */
public final class KeepImageOwnerJvmMain {
    private KeepImageOwnerJvmMain() {
    }

    public static void main(String[] args) {
        Image image = Images.builder().cacheDirectory(Path.of(args[0])).build().pull(args[1]);
        SandboxRuntime runtime = SandboxRuntime.create(
                RuntimeConfig.fromSystemProperties().withKeepAfterJvm(true, Duration.ofHours(1)));
        Sandbox s = runtime.start(SandboxSpec.builder().image(image).build());
        System.out.println("SANDBOX " + s.pid() + " " + s.id());
        s.keep();
        System.out.println("KEPT " + s.state());
        System.out.flush();
        System.exit(0); // the runtime closes at exit, as every runtime does
    }
}
