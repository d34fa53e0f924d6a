package dev.sandboxed.junit;

import java.util.function.Function;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.SandboxSpec;

/** Turns settings into a running {@link Container}: spec, host check, concurrency permit, start. */
final class ContainerFactory {
    private ContainerFactory() {
    }

    /**
     * @param peers finds (or creates) another container of the same test, for {@code network = "container:NAME"}
     */
    static Container create(ExtensionContext context, ExtensionConfig config, SandboxedSettings settings,
                            Function<String, Container> peers) {
        // Build and check the whole spec first: a bad setting must fail before anything is created.
        SandboxSpec spec = settings.toSpecBuilder().build();
        // network = "container:NAME": this sandbox joins NAME's network (and user) namespace, as in a pod.
        Sandbox networkOwner = settings.networkContainer().map(other -> {
            if (other.equals(settings.name())) {
                throw new dev.sandboxed.core.spec.SpecException("network", "container '" + other + "' cannot join its own network");
            }
            return peers.apply(other).sandbox();
        }).orElse(null);
        SandboxRuntime runtime = Runtimes.runtime(context, config);
        HostSupport.require(config, runtime, spec.limits());
        Runnable release = Runtimes.acquirePermit(context, config);
        Sandbox sandbox;
        try {
            sandbox = runtime.start(spec, networkOwner);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new Container(settings.name(), sandbox, settings.timeout(), config.diagnosticLines(), release);
    }
}
