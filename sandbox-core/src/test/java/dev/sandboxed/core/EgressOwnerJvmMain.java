package dev.sandboxed.core;

import dev.sandboxed.core.internal.egress.EgressTools;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/** Run in a child JVM by {@link EgressKilledJvmTest}: one egress sandbox per tool, then waits to be killed. */
public final class EgressOwnerJvmMain {
    private EgressOwnerJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        SandboxRuntime runtime = SandboxRuntime.shared();
        for (String tool : new String[] {"pasta", "slirp4netns"}) {
            System.setProperty(EgressTools.TOOL_PROPERTY, tool);
            Sandbox s = runtime.start(SandboxSpec.builder().network(NetworkMode.EGRESS).build());
            s.spawn(ProcessSpec.of("sleep", "300"));
            System.out.println("SANDBOX " + s.pid());
        }
        for (ProcessHandle tool : EgressTest.tools()) {
            System.out.println("TOOL " + tool.pid() + " " + tool.parent().map(ProcessHandle::pid).orElse(-1L));
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(300_000);
    }
}
