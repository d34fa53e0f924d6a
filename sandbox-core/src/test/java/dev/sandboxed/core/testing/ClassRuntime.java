package dev.sandboxed.core.testing;

import java.util.Set;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Network;
import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * A runtime of the test class's own, made before its first test and closed after its last, for tests whose
 * sandboxes and networks must not mix with other classes' in the shared runtime:
 * {@code @RegisterExtension static final ClassRuntime runtime = new ClassRuntime();}
 */
public final class ClassRuntime implements BeforeAllCallback, AfterAllCallback {
    private SandboxRuntime runtime;

    @Override
    public void beforeAll(ExtensionContext context) {
        runtime = SandboxRuntime.create(RuntimeConfig.fromSystemProperties());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        runtime.close();
    }

    public Sandbox start(SandboxSpec spec) {
        return runtime.start(spec);
    }

    public Network createNetwork(String name) {
        return runtime.createNetwork(name);
    }

    public Set<Sandbox> openSandboxes() {
        return runtime.openSandboxes();
    }
}
