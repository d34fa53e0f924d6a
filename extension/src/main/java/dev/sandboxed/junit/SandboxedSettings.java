package dev.sandboxed.junit;

import java.lang.reflect.AnnotatedElement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.junit.platform.commons.support.AnnotationSupport;

import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;

/**
 * The effective settings of one container: configuration defaults refined by each {@link Sandboxed} level, from
 * the outermost to the innermost. Unset values are null. Mutable while layering; {@link #copy()} before refining
 * a shared instance.
 */
final class SandboxedSettings {
    static final String DEFAULT_NAME = "default";
    private static final String CONTAINER_PREFIX = "container:";

    private String name;
    private String rootfs;
    private String memory;
    private String cpus;
    private String pids;
    private String network;
    private String seccomp;
    private String hostname;
    private String workdir;
    private String user;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<MountDeclaration> mounts = new ArrayList<>();
    private Boolean readOnlyRoot;
    private String timeout;
    private CleanupMode cleanup;
    private Scope scope;
    /** How many levels changed the container itself (not just its name or scope), and how many of them were classes. */
    private int contributions;
    private int classContributions;

    /** A mount, turned into a core {@link Mount} (which checks the host path) only when the spec is built. */
    private record MountDeclaration(String text, Supplier<Mount> factory) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** Defaults from configuration parameters. */
    static SandboxedSettings fromConfig(ExtensionConfig config) {
        SandboxedSettings s = new SandboxedSettings();
        s.rootfs = config.get(ExtensionConfig.ROOTFS).orElse(null);
        s.memory = config.get(ExtensionConfig.MEMORY).orElse(null);
        s.cpus = config.get(ExtensionConfig.CPUS).orElse(null);
        s.pids = config.get(ExtensionConfig.PIDS).orElse(null);
        s.network = config.get(ExtensionConfig.NETWORK).orElse(null);
        s.seccomp = config.get(ExtensionConfig.SECCOMP).orElse(null);
        s.timeout = config.get(ExtensionConfig.TIMEOUT).orElse(null);
        s.cleanup = config.get(ExtensionConfig.CLEANUP).map(t -> CleanupMode.parse(ExtensionConfig.CLEANUP, t)).orElse(null);
        return s;
    }

    SandboxedSettings copy() {
        SandboxedSettings s = new SandboxedSettings();
        s.name = name;
        s.rootfs = rootfs;
        s.memory = memory;
        s.cpus = cpus;
        s.pids = pids;
        s.network = network;
        s.seccomp = seccomp;
        s.hostname = hostname;
        s.workdir = workdir;
        s.user = user;
        s.env.putAll(env);
        s.mounts.addAll(mounts);
        s.readOnlyRoot = readOnlyRoot;
        s.timeout = timeout;
        s.cleanup = cleanup;
        s.scope = scope;
        s.contributions = contributions;
        s.classContributions = classContributions;
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
    private static <A extends java.lang.annotation.Annotation> Optional<A> findOwn(AnnotatedElement element, Class<A> type) {
        Optional<A> found = AnnotationSupport.findAnnotation(element, type);
        if (found.isPresent() && element instanceof Class<?> c && c.getSuperclass() != null
                && AnnotationSupport.findAnnotation(c.getSuperclass(), type).equals(found)) {
            return Optional.empty();
        }
        return found;
    }

    private static <A extends java.lang.annotation.Annotation> List<A> ownRepeatable(AnnotatedElement element, Class<A> type) {
        List<A> found = new ArrayList<>(AnnotationSupport.findRepeatableAnnotations(element, type));
        if (element instanceof Class<?> c && c.getSuperclass() != null) {
            found.removeAll(AnnotationSupport.findRepeatableAnnotations(c.getSuperclass(), type));
        }
        return found;
    }

    private void apply(Sandboxed a) {
        boolean changesContainer = java.util.stream.Stream.of(a.rootfs(), a.memory(), a.cpus(), a.pids(), a.network(),
                        a.seccomp(), a.hostname(), a.workdir(), a.user(), a.timeout()).anyMatch(v -> !v.isEmpty())
                || a.env().length > 0 || a.bind().length > 0 || a.tmpfs().length > 0 || a.mounts().length > 0
                || a.readOnlyRoot() != Toggle.DEFAULT || a.cleanup() != CleanupMode.DEFAULT;
        if (changesContainer) {
            contributions++;
        }
        name = pick(a.name(), name);
        rootfs = pick(a.rootfs(), rootfs);
        memory = pick(a.memory(), memory);
        cpus = pick(a.cpus(), cpus);
        pids = pick(a.pids(), pids);
        network = pick(a.network(), network);
        seccomp = pick(a.seccomp(), seccomp);
        hostname = pick(a.hostname(), hostname);
        workdir = pick(a.workdir(), workdir);
        user = pick(a.user(), user);
        timeout = pick(a.timeout(), timeout);
        for (String entry : a.env()) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new SpecException("env", "'" + entry + "' is not NAME=value");
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
                String rest = text.substring("tmpfs:".length());
                mounts.add(new MountDeclaration(text, () -> Mount.parseTmpfs(rest)));
            } else {
                mounts.add(new MountDeclaration(text, () -> Mount.parseBind(absoluteSource(text))));
            }
        }
        if (a.readOnlyRoot() != Toggle.DEFAULT) {
            readOnlyRoot = a.readOnlyRoot() == Toggle.ON;
        }
        if (a.cleanup() != CleanupMode.DEFAULT) {
            cleanup = a.cleanup();
        }
        if (a.scope() != Scope.DEFAULT) {
            scope = a.scope();
        }
    }

    private void addBind(Bind bind) {
        contributions++;
        String text = bind.source() + ":" + bind.target() + (bind.readOnly() ? ":ro" : ":rw");
        mounts.add(new MountDeclaration(text, () -> Mount.bind(Path.of(bind.source()).toAbsolutePath().toString(),
                bind.target(), bind.readOnly())));
    }

    private void addTmpfs(Tmpfs tmpfs) {
        contributions++;
        String text = "tmpfs:" + tmpfs.target() + ":size=" + tmpfs.size() + ",mode=" + tmpfs.mode();
        mounts.add(new MountDeclaration(text, () -> {
            long size = tmpfs.size().isBlank() ? 0 : Sizes.parseBytes("tmpfs.size", tmpfs.size());
            int mode;
            try {
                mode = Integer.parseInt(tmpfs.mode(), 8);
            } catch (NumberFormatException e) {
                throw new SpecException("tmpfs.mode", "'" + tmpfs.mode() + "' is not an octal mode such as 0755");
            }
            return Mount.tmpfs(tmpfs.target(), size, mode);
        }));
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
        return this;
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

    SandboxedSettings withName(String value) {
        this.name = value;
        return this;
    }

    Optional<Scope> scope() {
        return Optional.ofNullable(scope);
    }

    CleanupMode cleanup() {
        return cleanup == null ? CleanupMode.ALWAYS : cleanup;
    }

    /** The per-exec default timeout, if any. */
    Optional<Duration> timeout() {
        return Optional.ofNullable(timeout).map(t -> Sizes.parseDuration("timeout", t));
    }

    /** The container whose network namespace this one joins ({@code network = "container:NAME"}). */
    Optional<String> networkContainer() {
        if (network != null && network.startsWith(CONTAINER_PREFIX)) {
            String other = network.substring(CONTAINER_PREFIX.length()).trim();
            if (other.isEmpty()) {
                throw new SpecException("network", "'" + network + "' names no container; expected container:NAME");
            }
            return Optional.of(other);
        }
        return Optional.empty();
    }

    /** Only the cgroup limits, to check host support before anything starts. */
    ResourceLimits limits() {
        ResourceLimits limits = ResourceLimits.NONE;
        if (memory != null) {
            limits = limits.withMemoryMax(Sizes.parseBytes("memory", memory));
        }
        if (cpus != null) {
            try {
                limits = limits.withCpus(Double.parseDouble(cpus.trim()));
            } catch (NumberFormatException e) {
                throw new SpecException("cpus", "'" + cpus + "' is not a number of CPUs such as 0.5 or 2");
            }
        }
        if (pids != null) {
            try {
                limits = limits.withPidsMax(Long.parseLong(pids.trim()));
            } catch (NumberFormatException e) {
                throw new SpecException("pids", "'" + pids + "' is not a whole number of processes");
            }
        }
        return limits;
    }

    /**
     * The core spec. A {@code container:NAME} network is left to the caller, which knows the other container
     * (see {@link ContainerFactory}).
     */
    SandboxSpec.Builder toSpecBuilder() {
        SandboxSpec.Builder b = SandboxSpec.builder();
        if (rootfs != null) {
            b.rootfs(RootFs.parse(rootfs));
        }
        b.limits(limits());
        if (network != null && networkContainer().isEmpty()) {
            b.network(NetworkMode.parse(network));
        }
        if (seccomp != null) {
            b.seccomp(seccomp);
        }
        if (hostname != null) {
            b.hostname(hostname);
        }
        if (workdir != null) {
            b.workdir(workdir);
        }
        if (user != null) {
            b.user(user);
        }
        env.forEach(b::env);
        for (MountDeclaration m : mounts) {
            b.mount(m.factory().get());
        }
        if (readOnlyRoot != null) {
            b.readOnlyRoot(readOnlyRoot);
        }
        return b;
    }

    @Override
    public String toString() {
        return "name=" + name() + ", rootfs=" + rootfs + ", memory=" + memory + ", cpus=" + cpus + ", pids=" + pids
                + ", network=" + network + ", seccomp=" + seccomp + ", hostname=" + hostname + ", mounts=" + mounts
                + ", readOnlyRoot=" + readOnlyRoot + ", timeout=" + timeout + ", cleanup=" + cleanup() + ", scope=" + scope;
    }
}
