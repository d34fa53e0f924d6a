package dev.sandboxed.core;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/** Run in a child JVM by {@link KilledJvmCleanupTest}: owns two sandboxes, then waits to be killed. */
public final class OwnerJvmMain {
    private OwnerJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < 2; i++) {
            Sandbox s = Sandbox.start(SandboxSpec.defaults());
            s.spawn(ProcessSpec.of("sleep", "300"));
            System.out.println("SANDBOX " + s.pid() + " " + s.id());
        }
        SandboxRuntime.shared().awaitIdle(); // the cgroups made ahead are recorded too
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(300_000);
    }
}
