package dev.sandboxed.junit;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

import dev.sandboxed.core.Images;
import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.image.ImageSource;
import dev.sandboxed.core.internal.rootfs.RootUsers;
import dev.sandboxed.core.internal.seccomp.SeccompProfiles;
import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.NetworkJoin;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.WritableLayer;
import dev.sandboxed.core.wait.WaitStrategy;

/**
 * The effective settings of one container: configuration defaults refined by each {@link Sandboxed} level, from
 * the outermost to the innermost. Unset values are null. Each value is checked where it is declared, so a bad one
 * fails with a {@link SandboxedConfigurationException} naming the attribute ({@code memory}) or the configuration
 * parameter ({@code sandboxed.memory}) it came from; only bind mounts (whose source a test may create first) and the
 * user (whose name depends on the root) are checked when the spec is built. Mutable while layering.
 */
final class SandboxedSettings {
    static final String DEFAULT_NAME = "default";
    private static final String CONTAINER_PREFIX = "container:";
    private static final String NET_PREFIX = "net:";

    static final String ROOTFS_EXPECTED = "host or the path of a root directory";
    static final String SIZE_EXPECTED = "a positive size in bytes or with k, m, g (e.g. 64m)";
    static final String CPUS_EXPECTED = "a positive number of CPUs such as 0.5 or 2";
    static final String PIDS_EXPECTED = "a positive whole number of processes such as 64";
    static final String NETWORK_EXPECTED = "none, host, egress, net:NAME (a network of the test or class; NAME of 1-63 lower-case"
            + " letters, digits, '_', '.' or '-', starting with a letter or digit) or container:NAME of a container"
            + " declared before it";
    static final String ALIASES_EXPECTED = "host names of 1-63 letters, digits, '.' or '-', starting with a letter or"
            + " digit, with network = \"net:NAME\"";
    static final String SECCOMP_EXPECTED = "default, unconfined, docker-default or the path of an OCI/Docker JSON profile";
    static final String PATH_EXPECTED = "an absolute path inside the sandbox such as /work";
    static final String USER_EXPECTED = "UID[:GID] (0..65535) or a user name of the root filesystem";
    static final String ENV_EXPECTED = "NAME=value";
    static final String DEVICES_EXPECTED = "/dev/fuse, /dev/net/tun or HOST[:INSIDE]:TYPE:MAJOR:MINOR (e.g. /dev/null:c:1:3)";
    static final String HOOKS_EXPECTED = "STAGE:PATH with STAGE one of " + Hook.STAGES;
    static final String MOUNTS_EXPECTED = "SRC:DST[:ro|:rw] with an existing host path SRC, or tmpfs:DST[:size=N,mode=OCTAL]";
    static final String BIND_EXPECTED = "an existing host path as source and an absolute target other than /";
    static final String TMPFS_EXPECTED = "an absolute target other than /, a size such as 16m and an octal mode such as 0755";
    static final String PUBLISH_EXPECTED = "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp] with a loopback HOST_IP,"
            + " e.g. 8080, 9000:8080 or 127.0.0.1::53/udp";
    static final String EXPOSE_EXPECTED = "host ports 1..65535, each once";
    static final String DURATION_EXPECTED = "a positive duration such as 500ms, 30s or 5m";

    private String name;
    private RootFs rootfs;
    private String image;
    private Long memory;
    private Double cpus;
    private Long pids;
    /** {@code network}: a mode, or the name of the container whose network this one joins; at most one is set. */
    private NetworkMode network;
    private String networkContainer;
    /** {@code net:NAME}: the network of the test or class this container joins, and its extra names there. */
    private String networkName;
    private List<String> aliases = List.of();
    /** Where {@code network} was set: the attribute or the configuration parameter, for messages. */
    private String networkField;
    private String seccomp;
    private String hostname;
    private String workdir;
    private String user;
    private final Map<String, String> env = new LinkedHashMap<>();
    /** {@code publish}, {@code publishAll}, {@code exposeHostPorts}: added up over the levels. */
    private final List<PortMapping> publish = new ArrayList<>();
    private boolean publishAll;
    private final List<HostPort> exposeHostPorts = new ArrayList<>();
    private final List<MountDeclaration> mounts = new ArrayList<>();
    private Boolean readOnlyRoot;
    private WritableLayer writableLayer;
    private Duration timeout;
    private CleanupMode cleanup;
    private Scope scope;
    /** {@code start}/{@code command}: the main process (null: the image's Cmd); {@code waitFor}, {@code waitTimeout}. */
    private boolean start;
    private List<String> command;
    private List<WaitStrategy> waits;
    private Duration waitTimeout;
    private final List<Customizers.Declared> customizers = new ArrayList<>();
    private final List<Device> devices = new ArrayList<>();
    private final List<Hook> hooks = new ArrayList<>();
    /** How many levels changed the container itself (not just its name or scope), and how many of them were classes. */
    private int contributions;
    private int classContributions;
    /** What the method, field or parameter added to the container, as declared; null while classes are applied. */
    private List<Annotation> declaredBelowClass;

    /**
     * A mount as declared; {@code factory} makes the core {@link Mount}, which checks a bind's host path, when the
     * spec is built.
     */
    private record MountDeclaration(String field, String text, String expected, Supplier<Mount> factory) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** Defaults from configuration parameters. */
    static SandboxedSettings fromConfig(ExtensionConfig config) {
        SandboxedSettings s = new SandboxedSettings();
        config.get(ExtensionConfig.ROOTFS).ifPresent(v -> s.rootfs(ExtensionConfig.ROOTFS, v));
        config.get(ExtensionConfig.MEMORY).ifPresent(v -> s.memory(ExtensionConfig.MEMORY, v));
        config.get(ExtensionConfig.CPUS).ifPresent(v -> s.cpus(ExtensionConfig.CPUS, v));
        config.get(ExtensionConfig.PIDS).ifPresent(v -> s.pids(ExtensionConfig.PIDS, v));
        config.get(ExtensionConfig.NETWORK).ifPresent(v -> s.network(ExtensionConfig.NETWORK, v));
        config.get(ExtensionConfig.SECCOMP).ifPresent(v -> s.seccomp(ExtensionConfig.SECCOMP, v));
        config.get(ExtensionConfig.TIMEOUT).ifPresent(v -> s.timeout(ExtensionConfig.TIMEOUT, v));
        s.cleanup = config.get(ExtensionConfig.CLEANUP).map(t -> CleanupMode.parse(ExtensionConfig.CLEANUP, t)).orElse(null);
        config.get(ExtensionConfig.CUSTOMIZERS).ifPresent(v -> {
            for (String className : v.split(",")) {
                if (!className.isBlank()) {
                    s.customizers.add(Customizers.load(ExtensionConfig.CUSTOMIZERS, className));
                }
            }
        });
        return s;
    }


    /** Refines these settings with what {@code element} declares itself (directly or through meta-annotations). */
    SandboxedSettings refine(AnnotatedElement element) {
        findOwn(element, Sandboxed.class).ifPresent(this::apply);
        for (Bind bind : ownRepeatable(element, Bind.class)) {
            addBind(bind);
        }
        for (Tmpfs tmpfs : ownRepeatable(element, Tmpfs.class)) {
            addTmpfs(tmpfs);
        }
        return this;
    }

    /** Whether {@code element} carries any Sandboxed setting of its own. */
    static boolean declares(AnnotatedElement element) {
        return findOwn(element, Sandboxed.class).isPresent() || !ownRepeatable(element, Bind.class).isEmpty()
                || !ownRepeatable(element, Tmpfs.class).isEmpty();
    }

    /** An annotation of a class that its superclass does not already contribute (that level is applied separately). */
    private static <A extends Annotation> Optional<A> findOwn(AnnotatedElement element, Class<A> type) {
        Optional<A> found = AnnotationSupport.findAnnotation(element, type);
        if (found.isPresent() && element instanceof Class<?> c && c.getSuperclass() != null
                && AnnotationSupport.findAnnotation(c.getSuperclass(), type).equals(found)) {
            return Optional.empty();
        }
        return found;
    }

    private static <A extends Annotation> List<A> ownRepeatable(AnnotatedElement element, Class<A> type) {
        List<A> found = new ArrayList<>(AnnotationSupport.findRepeatableAnnotations(element, type));
        if (element instanceof Class<?> c && c.getSuperclass() != null) {
            found.removeAll(AnnotationSupport.findRepeatableAnnotations(c.getSuperclass(), type));
        }
        return found;
    }

    private void apply(Sandboxed a) {
        boolean changesContainer = Stream.of(a.rootfs(), a.image(), a.memory(), a.cpus(), a.pids(), a.network(),
                        a.seccomp(), a.hostname(), a.workdir(), a.user(), a.timeout(), a.waitTimeout(), a.writableLayer()).anyMatch(v -> !v.isEmpty())
                || a.start() || a.command().length > 0 || a.waitFor().length > 0 || a.publish().length > 0
                || a.publishAll() || a.exposeHostPorts().length > 0 || a.exposeHostUdpPorts().length > 0
                || a.aliases().length > 0
                || a.env().length > 0 || a.bind().length > 0 || a.tmpfs().length > 0 || a.mounts().length > 0
                || a.devices().length > 0 || a.hooks().length > 0
                || a.readOnlyRoot() != Toggle.DEFAULT || a.cleanup() != CleanupMode.DEFAULT || a.customizers().length > 0;
        if (changesContainer) {
            contributed(a);
        }
        name = pick(a.name(), name);
        ifSet(a.rootfs(), v -> rootfs("rootfs", v));
        ifSet(a.image(), v -> image = checkImage(v.trim()));
        ifSet(a.memory(), v -> memory("memory", v));
        ifSet(a.cpus(), v -> cpus("cpus", v));
        ifSet(a.pids(), v -> pids("pids", v));
        ifSet(a.network(), v -> network("network", v));
        if (a.aliases().length > 0) {
            aliases = check("aliases", ALIASES_EXPECTED, () -> new NetworkJoin("n", List.of(a.aliases())).aliases());
        }
        ifSet(a.seccomp(), v -> seccomp("seccomp", v));
        // The core's message for a bad hostname already spells out the rules.
        ifSet(a.hostname(), v -> hostname = check("hostname", null, () -> {
            SandboxSpec.builder().hostname(v);
            return v;
        }));
        ifSet(a.workdir(), v -> workdir = check("workdir", PATH_EXPECTED, () -> {
            SandboxSpec.builder().workdir(v);
            return v;
        }));
        user = pick(a.user(), user);
        ifSet(a.timeout(), v -> timeout("timeout", v));
        start |= a.start();
        if (a.command().length > 0) {
            if (a.command()[0].isEmpty()) {
                throw new SandboxedConfigurationException("command", "the program is empty; expected a program and its "
                        + "arguments such as {\"redis-server\", \"--port\", \"6380\"}");
            }
            command = List.of(a.command());
        }
        if (a.waitFor().length > 0) {
            waits = Stream.of(a.waitFor()).map(WaitSyntax::parse).toList();
        }
        ifSet(a.waitTimeout(), v -> waitTimeout = check("waitTimeout", DURATION_EXPECTED, () -> Sizes.parseDuration("waitTimeout", v)));
        for (String text : a.publish()) {
            publish.add(check("publish", PUBLISH_EXPECTED, () -> PortMapping.parse(text.strip())));
        }
        publishAll |= a.publishAll();
        for (int port : a.exposeHostPorts()) {
            exposeHostPorts.add(check("exposeHostPorts", EXPOSE_EXPECTED, () -> HostPort.tcp(port)));
        }
        for (int port : a.exposeHostUdpPorts()) {
            exposeHostPorts.add(check("exposeHostUdpPorts", EXPOSE_EXPECTED, () -> HostPort.udp(port)));
        }
        for (String entry : a.env()) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new SandboxedConfigurationException("env", "'" + entry + "' is not NAME=value; expected " + ENV_EXPECTED);
            }
            env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        for (Bind bind : a.bind()) {
            addBind(bind);
        }
        for (Tmpfs tmpfs : a.tmpfs()) {
            addTmpfs(tmpfs);
        }
        for (String text : a.mounts()) {
            if (text.startsWith("tmpfs:")) {
                Mount tmpfs = check("mounts", MOUNTS_EXPECTED, () -> Mount.parseTmpfs(text.substring("tmpfs:".length())));
                mounts.add(new MountDeclaration("mounts", text, MOUNTS_EXPECTED, () -> tmpfs));
            } else {
                mounts.add(new MountDeclaration("mounts", text, MOUNTS_EXPECTED, () -> Mount.parseBind(absoluteSource(text))));
            }
        }
        for (String text : a.devices()) {
            devices.add(check("devices", DEVICES_EXPECTED, () -> Device.parse(text.strip())));
        }
        for (String text : a.hooks()) {
            hooks.add(check("hooks", HOOKS_EXPECTED, () -> Hook.parse(text.strip())));
        }
        if (a.readOnlyRoot() != Toggle.DEFAULT) {
            readOnlyRoot = a.readOnlyRoot() == Toggle.ON;
        }
        ifSet(a.writableLayer(), v -> writableLayer = check("writableLayer", "tmpfs, tmpfs:SIZE (e.g. tmpfs:256m) or disk",
                () -> WritableLayer.parse(v)));
        if (a.cleanup() != CleanupMode.DEFAULT) {
            cleanup = a.cleanup();
        }
        if (a.scope() != Scope.DEFAULT) {
            scope = a.scope();
        }
        for (Class<? extends SandboxCustomizer> type : a.customizers()) {
            customizers.add(Customizers.instantiate(Customizers.FIELD, type));
        }
    }

    /** The customizers, outermost first: their {@link SandboxCustomizer#afterStart} and afterClose callbacks. */
    List<SandboxCustomizer> customizers() {
        return customizers.stream().map(Customizers.Declared::customizer).toList();
    }

    /** Customizers registered with a {@link SandboxedExtension} that {@code source} declares, as one level. */
    SandboxedSettings addCustomizers(String source, List<SandboxCustomizer> registered) {
        if (!registered.isEmpty()) {
            contributions++;
        }
        for (int i = 0; i < registered.size(); i++) {
            customizers.add(new Customizers.Declared(Customizers.FIELD, "customizer " + (i + 1) + " of " + source,
                    registered.get(i)));
        }
        return this;
    }

    private static String checkImage(String text) {
        try {
            ImageSource.parse(text);
            return text;
        } catch (ImageException e) {
            throw new SandboxedConfigurationException("image", e.getMessage()
                    + "; expected [REGISTRY/]NAME[:TAG][@DIGEST] or oci:PATH[:TAG]");
        }
    }

    private void rootfs(String field, String text) {
        rootfs = check(field, ROOTFS_EXPECTED, () -> RootFs.parse(text.trim()));
    }

    private void memory(String field, String text) {
        memory = positive(field, text, "a size", SIZE_EXPECTED, t -> check(field, SIZE_EXPECTED, () -> Sizes.parseBytes(field, t)));
    }

    private void cpus(String field, String text) {
        cpus = positive(field, text, "a number", CPUS_EXPECTED, Double::parseDouble);
    }

    private void pids(String field, String text) {
        pids = positive(field, text, "a whole number", PIDS_EXPECTED, Long::parseLong);
    }

    /** {@code text} parsed, if it is a positive finite number. */
    private static <T extends Number> T positive(String field, String text, String kind, String expected,
                                                 Function<String, T> parse) {
        T value;
        try {
            value = parse.apply(text.trim());
        } catch (NumberFormatException e) {
            throw new SandboxedConfigurationException(field, "'" + text + "' is not " + kind + "; expected " + expected);
        }
        if (!(value.doubleValue() > 0) || Double.isInfinite(value.doubleValue())) {
            throw new SandboxedConfigurationException(field, "'" + text + "' is not positive; expected " + expected);
        }
        return value;
    }

    private void network(String field, String text) {
        networkField = field;
        String t = text.trim();
        if (t.toLowerCase(Locale.ROOT).startsWith(CONTAINER_PREFIX)) {
            String other = t.substring(CONTAINER_PREFIX.length()).trim();
            if (other.isEmpty()) {
                throw new SandboxedConfigurationException(field, "'" + text + "' names no container; expected " + NETWORK_EXPECTED);
            }
            network = null;
            networkContainer = other;
            networkName = null;
        } else if (t.toLowerCase(Locale.ROOT).startsWith(NET_PREFIX)) {
            String name = t.substring(NET_PREFIX.length());
            if (name.isEmpty()) {
                throw new SandboxedConfigurationException(field, "'" + text + "' names no network; expected " + NETWORK_EXPECTED);
            }
            try {
                NetworkJoin.checkName(name);
            } catch (SpecException e) {
                throw new SandboxedConfigurationException(field, "'" + text + "': '" + name + "' is not a network name;"
                        + " expected " + NETWORK_EXPECTED);
            }
            network = null;
            networkContainer = null;
            networkName = name;
        } else {
            try {
                network = NetworkMode.parse(t);
            } catch (SpecException e) {
                throw new SandboxedConfigurationException(field, "'" + text + "' is not a network; expected " + NETWORK_EXPECTED, e);
            }
            networkContainer = null;
            networkName = null;
        }
    }

    private void seccomp(String field, String text) {
        // A profile file is read (and cached) now, so a missing or malformed one is reported with its field.
        seccomp = check(field, SECCOMP_EXPECTED, () -> {
            SeccompProfiles.named(text.trim());
            return text.trim();
        });
    }

    private void timeout(String field, String text) {
        timeout = check(field, DURATION_EXPECTED, () -> Sizes.parseDuration(field, text));
    }

    /** {@code parse}'s value, or a {@link SandboxedConfigurationException} for {@code field} if the core rejects it. */
    private static <T> T check(String field, String expected, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (SpecException e) {
            throw SandboxedConfigurationException.of(field, e, expected);
        }
    }

    private static void ifSet(String value, Consumer<String> setter) {
        if (!value.isEmpty()) {
            setter.accept(value);
        }
    }

    private void addBind(Bind bind) {
        contributed(bind);
        String text = bind.source() + ":" + bind.target() + (bind.readOnly() ? ":ro" : ":rw");
        mounts.add(new MountDeclaration("bind", text, BIND_EXPECTED, () -> Mount.bind(
                Path.of(bind.source()).toAbsolutePath().toString(), bind.target(), bind.readOnly())));
    }

    private void addTmpfs(Tmpfs tmpfs) {
        contributed(tmpfs);
        String text = "tmpfs:" + tmpfs.target() + ":size=" + tmpfs.size() + ",mode=" + tmpfs.mode();
        long size = tmpfs.size().isBlank() ? 0 : check("tmpfs.size", SIZE_EXPECTED, () -> Sizes.parseBytes("tmpfs.size", tmpfs.size()));
        int mode;
        try {
            mode = Integer.parseInt(tmpfs.mode(), 8);
        } catch (NumberFormatException e) {
            throw new SandboxedConfigurationException("tmpfs.mode", "'" + tmpfs.mode() + "' is not an octal mode; expected "
                    + "an octal mode such as 0755");
        }
        Mount mount = check("tmpfs", TMPFS_EXPECTED, () -> Mount.tmpfs(tmpfs.target(), size, mode));
        mounts.add(new MountDeclaration("tmpfs", text, TMPFS_EXPECTED, () -> mount));
    }

    /** Bind sources may be relative to the JVM's working directory (the module, under Maven). */
    private static String absoluteSource(String bindText) {
        int colon = bindText.indexOf(':');
        if (colon <= 0) {
            return bindText;
        }
        return Path.of(bindText.substring(0, colon)).toAbsolutePath().normalize() + bindText.substring(colon);
    }

    private static String pick(String value, String current) {
        return value.isEmpty() ? current : value;
    }

    /** Marks the class levels as applied: what follows (method, field, parameter) belongs to one test. */
    SandboxedSettings classLevelsApplied() {
        classContributions = contributions;
        declaredBelowClass = new ArrayList<>();
        return this;
    }

    /** {@code declaration} changed the container; one below the classes is kept to tell containers apart. */
    private void contributed(Annotation declaration) {
        contributions++;
        if (declaredBelowClass != null) {
            declaredBelowClass.add(declaration);
        }
    }

    /**
     * What the method, field or parameter declared that changes the container (annotations compare by value), empty
     * for a mere reference such as {@code @Sandboxed(name = "db")}: two declarations of one name must be equal.
     */
    List<Annotation> declaredBelowClass() {
        return declaredBelowClass == null ? List.of() : List.copyOf(declaredBelowClass);
    }

    /**
     * Whether the method, field or parameter changed the container beyond the class's settings: then a class-scoped
     * container of the same name does not fit and the test gets its own.
     */
    boolean refinedBelowClass() {
        return contributions > classContributions;
    }

    String name() {
        return name == null ? DEFAULT_NAME : name;
    }

    Optional<Scope> scope() {
        return Optional.ofNullable(scope);
    }

    CleanupMode cleanup() {
        return cleanup == null ? CleanupMode.ALWAYS : cleanup;
    }

    /** The per-exec default timeout, if any. */
    Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /**
     * The main process to start and what to await, if the container is a service ({@code start}, {@code command});
     * checked before anything is pulled or started.
     */
    Optional<Service> service() {
        boolean starts = start || command != null;
        if (!starts) {
            if (waits != null || waitTimeout != null) {
                throw new SandboxedConfigurationException(waits != null ? WaitSyntax.FIELD : "waitTimeout", "the container "
                        + "starts no main process to wait for; expected start = true or a command with it");
            }
            return Optional.empty();
        }
        if (command == null && image == null) {
            throw new SandboxedConfigurationException("start", "the container has no image whose Entrypoint and Cmd "
                    + "could start; expected an image, or a command");
        }
        return Optional.of(new Service(Optional.ofNullable(command), waits == null ? List.of() : waits,
                waitTimeout == null ? WaitStrategy.DEFAULT_TIMEOUT : waitTimeout));
    }

    /**
     * A container with a main process: {@code command} replaces the image's Cmd (or is the whole command without an
     * image); {@code waits} empty means the defaults (the image's health check, if any).
     */
    record Service(Optional<List<String>> command, List<WaitStrategy> waits, Duration timeout) {
    }

    /** The first setting that a sandboxed test JVM does not support yet, named for the message. */
    Optional<String> jvmUnsupported() {
        if (image != null) {
            return Optional.of("image");
        }
        if (start || command != null || waits != null) {
            return Optional.of("start, command and waitFor (services)");
        }
        if (networkContainer != null || networkName != null) {
            return Optional.of("network = \"" + (networkContainer != null ? CONTAINER_PREFIX + networkContainer
                    : NET_PREFIX + networkName) + "\"");
        }
        if (!publish.isEmpty() || publishAll) {
            return Optional.of("publish");
        }
        return Optional.empty();
    }

    /** The container whose network namespace this one joins ({@code network = "container:NAME"}). */
    Optional<String> networkContainer() {
        return Optional.ofNullable(networkContainer);
    }

    /** The network of the test or class this container joins ({@code network = "net:NAME"}), by the test's name. */
    Optional<String> networkName() {
        return Optional.ofNullable(networkName);
    }

    /** {@code network} or {@code sandboxed.network}: where the network was set. */
    String networkField() {
        return networkField;
    }

    /** Only the cgroup limits, to check host support before anything starts. */
    ResourceLimits limits() {
        ResourceLimits limits = ResourceLimits.NONE;
        if (memory != null) {
            limits = limits.withMemoryMax(memory);
        }
        if (cpus != null) {
            limits = limits.withCpus(cpus);
        }
        if (pids != null) {
            limits = limits.withPidsMax(pids);
        }
        return limits;
    }

    /**
     * The core spec: the settings, then the customizers, outermost first. A {@code container:NAME} network is left to
     * the caller, which knows the other container (see {@link ContainerFactory}).
     */
    private SandboxSpec.Builder toSpecBuilder(ExtensionContext context) {
        SandboxSpec.Builder b = SandboxSpec.builder();
        if (rootfs != null && image != null) {
            throw new SandboxedConfigurationException("image", "both rootfs=" + rootfs + " and image=" + image
                    + " are set; give one of them");
        }
        service(); // its settings are checked before the image is pulled
        if (rootfs != null) {
            b.rootfs(rootfs);
        }
        if (image != null) {
            // Answered from the cache after the first pull; what a pull does is reported to the test's reporter.
            b.image(Images.defaults().pull(image, PullReports.to(context)));
        }
        b.limits(limits());
        if (network != null) {
            b.network(network);
        }
        if (seccomp != null) {
            b.seccomp(seccomp);
        }
        if (hostname != null) {
            b.hostname(hostname);
        }
        joinNetwork(b);
        if (workdir != null) {
            b.workdir(workdir);
        }
        if (user != null) {
            check("user", USER_EXPECTED, () -> b.user(user));
        }
        env.forEach((k, v) -> check("env", ENV_EXPECTED, () -> b.env(k, v)));
        for (MountDeclaration m : mounts) {
            try {
                b.mount(m.factory().get());
            } catch (SpecException e) {
                throw SandboxedConfigurationException.of(m.field(), m.text(), e, m.expected());
            }
        }
        if (writableLayer != null) {
            b.writableLayer(writableLayer);
        }
        if (readOnlyRoot != null) {
            b.readOnlyRoot(readOnlyRoot);
        }
        publishPorts(b);
        devices.forEach(b::device);
        hooks.forEach(b::hook);
        for (Customizers.Declared c : customizers) {
            c.apply(b, context);
        }
        return b;
    }

    /**
     * {@code net:NAME}: joins NAME (the caller swaps in the runtime's name for it, see {@link ContainerFactory}) with
     * the container's name as its hostname, unless {@code hostname} sets one, and as an alias besides, so the other
     * members reach it by name; then {@code aliases}.
     */
    private void joinNetwork(SandboxSpec.Builder b) {
        if (networkName == null) {
            if (!aliases.isEmpty()) {
                throw new SandboxedConfigurationException("aliases", aliases + " given, but the container joins no "
                        + "network; expected " + ALIASES_EXPECTED);
            }
            return;
        }
        String own = name();
        try {
            new NetworkJoin(networkName, List.of(own));
        } catch (SpecException e) {
            throw new SandboxedConfigurationException(networkField, "the container name '" + own + "' is not a host "
                    + "name, which a container on network '" + networkName + "' needs so that the others reach it by "
                    + "name; expected a name of 1-63 letters, digits, '.' or '-', starting with a letter or digit");
        }
        String host = hostname != null ? hostname : own;
        b.hostname(host);
        List<String> all = new ArrayList<>();
        if (!host.equals(own)) {
            all.add(own);
        }
        aliases.stream().filter(alias -> !alias.equals(host) && !all.contains(alias)).forEach(all::add);
        b.joinNetwork(networkName, all.toArray(String[]::new));
    }

    /** {@code publish}, the image's ExposedPorts with {@code publishAll}, and {@code exposeHostPorts}. */
    private void publishPorts(SandboxSpec.Builder b) {
        List<PortMapping> all = new ArrayList<>(publish);
        if (publishAll) {
            if (image == null) {
                throw new SandboxedConfigurationException("publishAll", "the container has no image whose ExposedPorts "
                        + "could be published; expected an image, or publish = {...}");
            }
            for (String port : Images.defaults().pull(image).config().exposedPorts().stream().sorted().toList()) {
                PortMapping m = check("publishAll", "image ports such as 80/tcp", () -> PortMapping.parse(port));
                if (all.stream().noneMatch(p -> p.containerPort() == m.containerPort() && p.transport() == m.transport())) {
                    all.add(m);
                }
            }
        }
        b.publish(all.toArray(PortMapping[]::new));
        b.exposeHostPort(exposeHostPorts.toArray(HostPort[]::new));
    }

    /** The checked core spec; see {@link #toSpecBuilder}. */
    SandboxSpec toSpec(ExtensionContext context) {
        SandboxSpec.Builder b = toSpecBuilder(context);
        SandboxSpec spec;
        try {
            spec = b.build();
        } catch (SpecException e) {
            if ((e.field().equals("publish") || e.field().equals("exposeHostPort"))
                    && (!publish.isEmpty() || publishAll || !exposeHostPorts.isEmpty())) {
                // A port published twice, or ports with network = host.
                throw SandboxedConfigurationException.of(e.field().equals("publish") ? "publish" : "exposeHostPorts",
                        e, e.field().equals("publish") ? PUBLISH_EXPECTED : EXPOSE_EXPECTED);
            }
            // The settings alone always build; only what customizers set can clash (namespaces, for example).
            throw new SandboxedConfigurationException(Customizers.FIELD, customizers.stream().map(Customizers.Declared::name)
                    .toList() + " built an invalid spec: " + e.getMessage(), e);
        }
        // A user name is looked up now (in the root it names, through the no-escape reader), so a bad one is a
        // settings error like any other, reported before the container starts.
        return check("user", USER_EXPECTED, () -> RootUsers.resolve(spec));
    }

    @Override
    public String toString() {
        return "name=" + name() + ", rootfs=" + rootfs + (image != null ? ", image=" + image : "") + ", memory=" + memory + ", cpus=" + cpus + ", pids=" + pids
                + ", network=" + (networkContainer != null ? CONTAINER_PREFIX + networkContainer
                        : networkName != null ? NET_PREFIX + networkName : network)
                + (aliases.isEmpty() ? "" : ", aliases=" + aliases)
                + ", seccomp=" + seccomp + ", hostname=" + hostname + ", mounts=" + mounts
                + ", readOnlyRoot=" + readOnlyRoot + ", timeout=" + timeout
                + (start || command != null ? ", start=true" + (command != null ? ", command=" + command : "") : "")
                + (publish.isEmpty() ? "" : ", publish=" + publish) + (publishAll ? ", publishAll=true" : "")
                + (exposeHostPorts.isEmpty() ? "" : ", exposeHostPorts=" + exposeHostPorts)
                + (waits != null ? ", waitFor=" + waits : "") + (waitTimeout != null ? ", waitTimeout=" + waitTimeout : "") + ", cleanup=" + cleanup() + ", scope=" + scope
                + ", customizers=" + customizers.stream().map(Customizers.Declared::name).toList();
    }
}
