package dev.sandboxed.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.sandboxed.core.RuntimeConfig;

/**
 * A child JVM on this test's class path that owns sandboxes in a state directory of its own, so that a test can kill
 * it and check what the next runtime on that directory removes ({@link LeftBehind}).
 */
public final class OwnerJvm {
    private OwnerJvm() {
    }

    /**
     * This JVM's java launcher with native access granted, as users are told to run Sandboxed: on Java 22+ the core
     * calls libc through FFM, which otherwise warns on stderr (Java 17 accepts the flag too).
     */
    public static List<String> java() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED");
    }

    /** Starts {@code main} with {@code args}, its stderr merged into stdout; the test's cgroup parent is passed on. */
    public static Process start(Path stateDir, Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(java());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "-Dsandboxed.state.dir=" + stateDir));
        RuntimeConfig.fromSystemProperties().cgroupParent()
                .ifPresent(parent -> command.add("-D" + RuntimeConfig.CGROUP_PARENT_PROPERTY + "=" + parent));
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /**
     * Ends a test's owner JVM and whatever it left, also after a failure: kills the JVM and any keeper of its
     * sandboxes, then checks that the next runtime on its state directory removes everything.
     */
    public static void killAndCleanUp(Process owner, Path stateDir) throws InterruptedException {
        owner.destroyForcibly();
        owner.waitFor(10, TimeUnit.SECONDS);
        LeftBehind.in(stateDir).withKeepersKilled().assertRemovedByNextRuntime();
    }
}
