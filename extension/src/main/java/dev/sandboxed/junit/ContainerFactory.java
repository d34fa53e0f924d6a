package dev.sandboxed.junit;

import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.Network;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.internal.runtime.PrestartOptOut;
import dev.sandboxed.core.spec.NetworkJoin;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.wait.HttpWait;
import dev.sandboxed.core.wait.Wait;
import dev.sandboxed.core.wait.WaitStrategy;
import dev.sandboxed.junit.internal.ahead.Ahead;

/** Turns settings into a running {@link Container}: spec, host check, concurrency permit, start. */
final class ContainerFactory {
    private ContainerFactory() {
    }

    /**
     * @param peers finds another container this test can already see, for {@code network = "container:NAME"}
     * @param networks the runtime network for {@code network = "net:NAME"}, made on first use
     * @param prepareNext whether the next test's container is started ahead once this one is handed out (a test's own
     *                    container, not a class's: the next class asks for another)
     */
    static Container create(ExtensionContext context, ExtensionConfig config, SandboxedSettings settings,
                            Function<String, Optional<Container>> peers,
                            BiFunction<String, SandboxRuntime, Network> networks, boolean prepareNext) {
        // Build and check the whole spec first: a bad setting must fail before anything is created.
        int tailLines = config.diagnosticLines();
        boolean prepareAhead = config.prepareAhead();
        SandboxSpec spec = settings.toSpec(context);
        Optional<SandboxedSettings.Service> service = settings.service();
        List<String> mainCommand = service.map(s -> mainCommand(s, spec)).orElse(null);
        if (mainCommand != null) {
            check("command", () -> ProcessSpec.of(mainCommand.toArray(String[]::new)));
        }
        service.ifPresent(s -> checkHttpPorts(s.waits(), spec));
        // network = "container:NAME": this sandbox joins NAME's network (and user) namespace, as in a pod.
        Sandbox networkOwner = settings.networkContainer()
                .map(other -> networkOwner(settings.networkField(), settings.name(), other, peers))
                .orElse(null);
        SandboxRuntime runtime = Runtimes.runtime(context, config);
        HostSupport.require(config, runtime, spec.limits());
        boolean ahead = prepareAhead && PreparedAhead.eligible(settings, spec);
        Optional<Ahead.Taken<Sandbox>> taken = ahead ? PreparedAhead.of(context).take(context, runtime, spec)
                : Optional.empty();
        Runnable release;
        Sandbox sandbox;
        if (taken.isPresent()) {
            sandbox = taken.get().sandbox();
            release = taken.get().releasePermit();
        } else {
            release = Runtimes.acquirePermit(context, config);
            try {
                SandboxSpec onNetwork = onRuntimeNetwork(spec, runtime, networks);
                sandbox = PrestartOptOut.during(() -> runtime.start(onNetwork, networkOwner)); // ahead is ours
            } catch (SpecException e) {
                // Found only when the runtime reads it, e.g. a seccomp profile that compiles to too large a filter.
                release.run();
                throw SandboxedConfigurationException.of(e);
            } catch (RuntimeException e) {
                release.run();
                throw e;
            }
        }
        Container container = new Container(settings.name(), sandbox, settings.timeout(), tailLines, release,
                runtime.config().stateDirectory());
        container.callbacks(settings.customizers());
        try {
            if (service.isPresent()) {
                container.startMain(ProcessSpec.builder(mainCommand).build(), readiness(service.get(), spec));
            }
            container.afterStart();
        } catch (RuntimeException e) {
            container.close();
            throw e;
        }
        if (ahead && prepareNext) {
            PreparedAhead prepared = PreparedAhead.of(context);
            if (!PreparedAhead.writesToHost(spec)) {
                container.closeInBackground(c -> prepared.closeLater(c, context));
            }
            prepared.prepare(context, config, runtime, spec);
        }
        return container;
    }

    /**
     * {@code net:NAME}: the spec joins NAME's runtime network (unique to the test or class) instead, made now that
     * every setting is checked.
     */
    private static SandboxSpec onRuntimeNetwork(SandboxSpec spec, SandboxRuntime runtime,
                                                BiFunction<String, SandboxRuntime, Network> networks) {
        Optional<NetworkJoin> join = spec.joinedNetwork();
        if (join.isEmpty()) {
            return spec;
        }
        String runtimeName = networks.apply(join.get().network(), runtime).name();
        return spec.toBuilder().joinNetwork(runtimeName, join.get().aliases().toArray(String[]::new)).build();
    }

    /**
     * The main process's command: {@code command} replaces the image's Cmd and keeps its Entrypoint, as
     * {@code docker run IMAGE CMD...} does; without an image it is the whole command.
     */
    private static List<String> mainCommand(SandboxedSettings.Service service, SandboxSpec spec) {
        if (!spec.rootfs().isImage()) {
            return service.command().orElseThrow();
        }
        Image image = spec.rootfs().image();
        List<String> argv = image.config().command(Optional.empty(), service.command().orElse(List.of()));
        if (argv.isEmpty()) {
            throw new SandboxedConfigurationException("start", "image " + image.source() + " has no Entrypoint or Cmd "
                    + "to start; expected a command");
        }
        return argv;
    }

    /** The declared waits, else the image's health check where it has one; all within the service's timeout. */
    private static Optional<WaitStrategy> readiness(SandboxedSettings.Service service, SandboxSpec spec) {
        List<WaitStrategy> waits = service.waits();
        if (waits.isEmpty() && hasHealthcheck(spec)) {
            waits = List.of(Wait.forHealthcheck());
        }
        if (waits.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Wait.allOf(waits.stream().map(w -> w.withTimeout(service.timeout())).toArray(WaitStrategy[]::new))
                .withTimeout(service.timeout()));
    }

    /** An {@code http:PORT} wait goes through PORT's mapping: the port must be published. */
    private static void checkHttpPorts(List<WaitStrategy> waits, SandboxSpec spec) {
        for (WaitStrategy w : waits) {
            if (w instanceof HttpWait http) {
                int port = http.port().orElseThrow();
                if (spec.publishedPorts().stream().noneMatch(m -> m.containerPort() == port
                        && m.transport() == PortMapping.Transport.TCP)) {
                    throw new SandboxedConfigurationException(WaitSyntax.FIELD, "'" + w + "' needs port " + port
                            + " published, but publish has " + (spec.publishedPorts().isEmpty() ? "none"
                            : spec.publishedPorts()) + "; expected publish = \"" + port + "\" (or port:" + port
                            + " to wait without publishing)");
                }
            }
        }
    }

    private static boolean hasHealthcheck(SandboxSpec spec) {
        return spec.rootfs().isImage() && spec.rootfs().image().config().healthcheck()
                .filter(h -> !h.test().isEmpty() && !h.test().get(0).equals("NONE")).isPresent();
    }

    private static void check(String field, Runnable build) {
        try {
            build.run();
        } catch (SpecException e) {
            throw SandboxedConfigurationException.of(field, e, "a program and its arguments");
        }
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
