package dev.sandboxed.junit;

import java.util.Optional;
import java.util.function.Function;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/** Turns settings into a running {@link Container}: spec, host check, concurrency permit, start. */
final class ContainerFactory {
    private ContainerFactory() {
    }

    /**
     * @param peers finds another container this test can already see, for {@code network = "container:NAME"}
     */
    static Container create(ExtensionContext context, ExtensionConfig config, SandboxedSettings settings,
                            Function<String, Optional<Container>> peers) {
        // Build and check the whole spec first: a bad setting must fail before anything is created.
        int tailLines = config.diagnosticLines();
        SandboxSpec spec = settings.toSpec(context);
        // network = "container:NAME": this sandbox joins NAME's network (and user) namespace, as in a pod.
        Sandbox networkOwner = settings.networkContainer()
                .map(other -> networkOwner(settings.networkField(), settings.name(), other, peers))
                .orElse(null);
        SandboxRuntime runtime = Runtimes.runtime(context, config);
        HostSupport.require(config, runtime, spec.limits());
        Runnable release = Runtimes.acquirePermit(context, config);
        Sandbox sandbox;
        try {
            sandbox = runtime.start(spec, networkOwner);
        } catch (SpecException e) {
            // Found only when the runtime reads it, e.g. a seccomp profile that compiles to too large a filter.
            release.run();
            throw SandboxedConfigurationException.of(e);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new Container(settings.name(), sandbox, settings.timeout(), tailLines, release);
    }

    private static Sandbox networkOwner(String field, String name, String other,
                                        Function<String, Optional<Container>> peers) {
        if (other.equals(name)) {
            throw new SandboxedConfigurationException(field, "'container:" + other + "' names this container itself; "
                    + "expected " + SandboxedSettings.NETWORK_EXPECTED);
        }
        return peers.apply(other).orElseThrow(() -> new SandboxedConfigurationException(field, "'container:" + other
                + "' names no container of this test; expected " + SandboxedSettings.NETWORK_EXPECTED)).sandbox();
    }
}
