package dev.sandboxed.core;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;

/** Run in a child JVM by {@link NativeAccessWarningsTest}: one real sandbox, then which libc implementation ran it. */
public final class NativeAccessJvmMain {
    private NativeAccessJvmMain() {
    }

    public static void main(String[] args) {
        var result = Sandbox.run(SandboxSpec.defaults(), ProcessSpec.of("sh", "-c", "echo ran"));
        System.out.println("RESULT " + result.exitCode() + " " + result.stdout().trim());
        System.out.println("FFI " + Native.ffi());
        SandboxRuntime.shared().close();
    }
}
