package dev.sandboxed.core;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * Run in a child JVM by {@link NetworkKilledJvmTest}: owns a network with two members and its prepared slots, then
 * waits to be killed.
 */
public final class NetworkOwnerJvmMain {
    private NetworkOwnerJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        SandboxRuntime runtime = SandboxRuntime.shared();
        runtime.createNetwork("doomed");
        for (int i = 0; i < 2; i++) {
            Sandbox s = runtime.start(SandboxSpec.builder().hostname("m" + i).joinNetwork("doomed").build());
            s.spawn(ProcessSpec.of("sleep", "300"));
            System.out.println("SANDBOX " + s.pid() + " " + s.id());
        }
        runtime.awaitIdle(); // the slots made again after the members took the first two, among others
        for (String netns : NetworkLifetimeTest.networkNamespacesHeld()) {
            System.out.println("SLOT " + netns);
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(300_000);
    }
}
