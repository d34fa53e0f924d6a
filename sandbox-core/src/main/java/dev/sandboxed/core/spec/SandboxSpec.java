package dev.sandboxed.core.spec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

import dev.sandboxed.core.image.Image;

/**
 * Everything about one sandbox, validated when built: nothing is created on the host for a spec that
 * would fail. Immutable; build one with {@link #builder()}.
 */
public final class SandboxSpec {
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** Linux takes up to 64 bytes (__NEW_UTS_LEN); every allowed character is ASCII, so one byte each. */
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,63}");
    /** /tmp without a memory limit: 1 GiB, where the kernel's default would be half of the host's RAM. */
    public static final long DEFAULT_TMP_SIZE = 1L << 30;
    /** /dev/shm without a memory limit: Docker's default. */
    public static final long DEFAULT_SHM_SIZE = 64L << 20;
    /** Published plus exposed ports per sandbox: what its init forwards (FORWARD_MAX_MAPPINGS). */
    private static final int MAX_PORT_MAPPINGS = 64;
    private static final Pattern ENV_NAME = Pattern.compile("[^=\\x00]+");

    private final Set<Namespace> namespaces;
    private final RootFs rootfs;
    private final List<Mount> mounts;
    private final List<Device> devices;
    private final List<Hook> hooks;
    private final boolean readOnlyRoot;
    private final String hostname;
    private final Map<String, String> environment;
    private final String workdir;
    private final UserSpec user;
    private final String userName;
    private final Map<Rlimit, Rlimit.Value> rlimits;
    private final ResourceLimits limits;
    private final String seccompProfile;
    private final boolean reportSeccompDenials;
    private final Set<Capability> capabilities;
    private final IdMappingMode idMapping;
    private final boolean hideHome;
    private final boolean trackUsage;
    private final boolean allowNestedUserNamespaces;
    private final boolean allowCompatArchitectures;
    private final OptionalLong tmpSize;
    private final OptionalLong shmSize;
    private final List<PortMapping> publishedPorts;
    private final List<HostPort> exposedHostPorts;
    private final Optional<NetworkJoin> joinedNetwork;
    private final boolean egress;
    private final boolean egressHostLoopback;
    private final Optional<ImageRootMode> imageRootMode;
    private final WritableLayer writableLayer;

    private SandboxSpec(Builder b) {
        this.namespaces = Collections.unmodifiableSet(EnumSet.copyOf(b.namespaces));
        this.rootfs = b.rootfs;
        this.mounts = List.copyOf(b.mounts);
        this.devices = List.copyOf(b.devices);
        this.hooks = List.copyOf(b.hooks);
        this.readOnlyRoot = b.readOnlyRoot;
        this.hostname = b.hostname;
        this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
        this.workdir = b.workdir;
        this.user = b.user;
        this.userName = b.userName;
        this.rlimits = Collections.unmodifiableMap(new EnumMap<>(b.rlimits));
        this.limits = b.limits;
        this.seccompProfile = b.seccompProfile;
        this.reportSeccompDenials = b.reportSeccompDenials;
        this.capabilities = b.capabilities.isEmpty() ? Set.of()
                : Collections.unmodifiableSet(EnumSet.copyOf(b.capabilities));
        this.idMapping = b.idMapping;
        this.hideHome = b.hideHome;
        this.trackUsage = b.trackUsage;
        this.allowNestedUserNamespaces = b.allowNestedUserNamespaces;
        this.allowCompatArchitectures = b.allowCompatArchitectures;
        this.tmpSize = b.tmpSize;
        this.shmSize = b.shmSize;
        this.publishedPorts = List.copyOf(b.publishedPorts);
        this.exposedHostPorts = List.copyOf(b.exposedHostPorts);
        this.joinedNetwork = b.joinedNetwork;
        this.egress = b.egress;
        this.egressHostLoopback = b.egressHostLoopback;
        this.imageRootMode = b.imageRootMode;
        this.writableLayer = b.writableLayer;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A sandbox with every default: host root read-only, no network, Docker's capabilities and seccomp profile. */
    public static SandboxSpec defaults() {
        return builder().build();
    }

    public Set<Namespace> namespaces() {
        return namespaces;
    }

    public boolean has(Namespace ns) {
        return namespaces.contains(ns);
    }

    public NetworkMode network() {
        return !has(Namespace.NET) ? NetworkMode.HOST : egress ? NetworkMode.EGRESS : NetworkMode.NONE;
    }

    /**
     * With {@link NetworkMode#EGRESS}: whether the tool's gateway address (10.0.2.2) reaches the host's loopback
     * (127.0.0.1), so a server the test runs there is reachable. Off by default: then the host's loopback services are
     * not reachable from the sandbox, only what other hosts (and the host's non-loopback addresses) offer.
     */
    public boolean egressHostLoopback() {
        return egressHostLoopback;
    }

    /**
     * The network this sandbox joins, if any: a network of the runtime that starts it
     * ({@code SandboxRuntime.createNetwork}), where it gets an address of its own and its hostname and aliases
     * resolve for every member.
     */
    public Optional<NetworkJoin> joinedNetwork() {
        return joinedNetwork;
    }

    public RootFs rootfs() {
        return rootfs;
    }

    /** Sandbox ports reachable from the host through a loopback port each (see {@code Sandbox.mappedPort}). */
    public List<PortMapping> publishedPorts() {
        return publishedPorts;
    }

    /**
     * Ports of the host's loopback (127.0.0.1) reachable inside the sandbox as {@code host.sandboxed.internal:PORT}
     * (127.0.0.2 on the sandbox's {@code lo}); no other host port is.
     */
    public List<HostPort> exposedHostPorts() {
        return exposedHostPorts;
    }

    public List<Mount> mounts() {
        return mounts;
    }

    /** Host device nodes bound into /dev, each checked to be the device it claims (see {@link Device}). */
    public List<Device> devices() {
        return devices;
    }

    /** Commands run at the OCI lifecycle stages, in the order given within a stage (see {@link Hook}). */
    public List<Hook> hooks() {
        return hooks;
    }

    /** The hooks of one stage, in order. */
    public List<Hook> hooks(Hook.Stage stage) {
        return hooks.stream().filter(h -> h.stage() == stage).toList();
    }

    /** How an image root is assembled when set; else {@value ImageRootMode#PROPERTY} or what the host supports. */
    public Optional<ImageRootMode> imageRootMode() {
        return imageRootMode;
    }

    /** Where an image root's writes go (a tmpfs by default); see {@link #writableLayerSize()}. */
    public WritableLayer writableLayer() {
        return writableLayer;
    }

    /** The tmpfs writable layer's limit in bytes: as set, else {@link #tmpSize()}; 0 for a disk one (no limit). */
    public long writableLayerSize() {
        return writableLayer.onDisk() ? 0 : writableLayer.size().orElse(tmpSize());
    }

    public boolean readOnlyRoot() {
        return readOnlyRoot;
    }

    public String hostname() {
        return hostname;
    }

    /** The environment every process starts with (clean by default: PATH and HOME only). */
    public Map<String, String> environment() {
        return environment;
    }

    public String workdir() {
        return workdir;
    }

    /**
     * The user processes run as. A user given by name is looked up in the root filesystem when the sandbox starts;
     * until then it has no ids (see {@link #userName()}).
     *
     * @throws IllegalStateException for a user given by name
     */
    public UserSpec user() {
        if (userName != null) {
            throw new IllegalStateException("user '" + userName + "' is looked up in the root filesystem when the"
                    + " sandbox starts");
        }
        return user;
    }

    /** {@code NAME[:GROUP]} as given, when the user is given by name and not looked up yet. */
    public Optional<String> userName() {
        return Optional.ofNullable(userName);
    }

    public Map<Rlimit, Rlimit.Value> rlimits() {
        return rlimits;
    }

    public ResourceLimits limits() {
        return limits;
    }

    /** {@code default}, {@code unconfined}, {@code docker-default} or the path of a Docker/OCI JSON profile. */
    public String seccompProfile() {
        return seccompProfile;
    }

    /**
     * Whether refused syscalls are counted for {@code Sandbox.seccompDenials()} (default true). A profile that
     * does not always allow sendmsg, close and execve gets plain errno refusals without reports: a process
     * makes those calls while its init waits for it to start, so no one could answer the report.
     */
    public boolean reportSeccompDenials() {
        return reportSeccompDenials;
    }

    public Set<Capability> capabilities() {
        return capabilities;
    }

    public IdMappingMode idMapping() {
        return idMapping;
    }

    /** Whether /home, /root and the caller's home are hidden in a host-root sandbox. */
    public boolean hideHome() {
        return hideHome;
    }

    /**
     * Whether the sandbox gets a cgroup for usage statistics even without limits (when the host allows
     * one). Off saves the cost of a cgroup per sandbox.
     */
    public boolean trackUsage() {
        return trackUsage;
    }

    /**
     * Whether processes may create nested user namespaces (and mount in them), e.g. to run bubblewrap or
     * {@code unshare -U} inside a test. Off by default: the seccomp filter refuses unshare, setns, clone with
     * namespace flags and the mount calls, as Docker's profile does.
     */
    public boolean allowNestedUserNamespaces() {
        return allowNestedUserNamespaces;
    }

    /**
     * Whether the seccomp filter judges 32-bit and x32 calls (i386 {@code int $0x80} and x32 on x86_64) by the
     * profile's rules, as Docker does, so 32-bit binaries run. Off by default: only the native ABI's calls are
     * judged, and a call of any other ABI kills the process (SIGSYS), like systemd's
     * {@code SystemCallArchitectures=native}.
     */
    public boolean allowCompatArchitectures() {
        return allowCompatArchitectures;
    }

    /**
     * The size of the sandbox's /tmp tmpfs in bytes: as set, else half the memory limit when there is one, else
     * {@link #DEFAULT_TMP_SIZE}. tmpfs pages count against the memory limit, so a /tmp as large as the limit would
     * end a writer with the OOM killer; half of it (with /dev/shm at most a quarter) leaves the processes a quarter
     * of the limit, and a writer that fills /tmp gets ENOSPC.
     */
    public long tmpSize() {
        return tmpSize.orElse(memoryLimit().map(m -> m / 2).orElse(DEFAULT_TMP_SIZE));
    }

    /** The size of /dev/shm in bytes: as set, else {@link #DEFAULT_SHM_SIZE} or a quarter of the memory limit if less. */
    public long shmSize() {
        return shmSize.orElse(Math.min(DEFAULT_SHM_SIZE, memoryLimit().map(m -> m / 4).orElse(DEFAULT_SHM_SIZE)));
    }

    private Optional<Long> memoryLimit() {
        OptionalLong max = limits.memoryMax();
        return max.isPresent() ? Optional.of(max.getAsLong()) : Optional.empty();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.namespaces = EnumSet.copyOf(namespaces);
        b.rootfs = rootfs;
        b.mounts.addAll(mounts);
        b.devices.addAll(devices);
        b.hooks.addAll(hooks);
        b.readOnlyRoot = readOnlyRoot;
        b.hostname = hostname;
        b.environment.clear();
        b.environment.putAll(environment);
        b.workdir = workdir;
        b.user = user;
        b.userName = userName;
        b.rlimits.putAll(rlimits);
        b.limits = limits;
        b.seccompProfile = seccompProfile;
        b.reportSeccompDenials = reportSeccompDenials;
        b.capabilities = capabilities.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(capabilities);
        b.idMapping = idMapping;
        b.hideHome = hideHome;
        b.trackUsage = trackUsage;
        b.allowNestedUserNamespaces = allowNestedUserNamespaces;
        b.allowCompatArchitectures = allowCompatArchitectures;
        b.tmpSize = tmpSize;
        b.shmSize = shmSize;
        b.publishedPorts.addAll(publishedPorts);
        b.exposedHostPorts.addAll(exposedHostPorts);
        b.joinedNetwork = joinedNetwork;
        b.egress = egress;
        b.egressHostLoopback = egressHostLoopback;
        b.imageRootMode = imageRootMode;
        b.writableLayer = writableLayer;
        return b;
    }

    /** Specs are equal when every setting is: two such sandboxes are indistinguishable when they start. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SandboxSpec other)) {
            return false;
        }
        return readOnlyRoot == other.readOnlyRoot && reportSeccompDenials == other.reportSeccompDenials
                && hideHome == other.hideHome && trackUsage == other.trackUsage
                && allowNestedUserNamespaces == other.allowNestedUserNamespaces
                && allowCompatArchitectures == other.allowCompatArchitectures
                && namespaces.equals(other.namespaces) && rootfs.equals(other.rootfs) && mounts.equals(other.mounts)
                && devices.equals(other.devices) && hooks.equals(other.hooks)
                && hostname.equals(other.hostname) && environment.equals(other.environment)
                && workdir.equals(other.workdir) && user.equals(other.user) && Objects.equals(userName, other.userName) && rlimits.equals(other.rlimits)
                && limits.equals(other.limits) && seccompProfile.equals(other.seccompProfile)
                && capabilities.equals(other.capabilities) && idMapping == other.idMapping
                && tmpSize.equals(other.tmpSize) && shmSize.equals(other.shmSize)
                && publishedPorts.equals(other.publishedPorts) && exposedHostPorts.equals(other.exposedHostPorts)
                && joinedNetwork.equals(other.joinedNetwork) && imageRootMode.equals(other.imageRootMode)
                && writableLayer.equals(other.writableLayer)
                && egress == other.egress && egressHostLoopback == other.egressHostLoopback;
    }

    @Override
    public int hashCode() {
        return Objects.hash(namespaces, rootfs, mounts, devices, hooks, hostname, environment, workdir, user, userName, limits,
                seccompProfile, capabilities, idMapping, allowCompatArchitectures, tmpSize, shmSize, publishedPorts,
                exposedHostPorts, joinedNetwork, imageRootMode, writableLayer, egress, egressHostLoopback);
    }

    @Override
    public String toString() {
        return "SandboxSpec{rootfs=" + rootfs + ", namespaces=" + namespaces + ", hostname=" + hostname
                + ", user=" + (userName != null ? userName : user) + ", workdir=" + workdir + ", readOnlyRoot=" + readOnlyRoot
                + ", mounts=" + mounts + (devices.isEmpty() ? "" : ", devices=" + devices)
                + (hooks.isEmpty() ? "" : ", hooks=" + hooks) + ", limits=" + limits + ", seccomp=" + seccompProfile
                + ", capabilities=" + capabilities + ", idMapping=" + idMapping + ", nestedUserNamespaces="
                + allowNestedUserNamespaces + ", compatArchitectures=" + allowCompatArchitectures + ", tmpSize="
                + tmpSize() + ", shmSize=" + shmSize() + ", env=" + environment.keySet()
                + (publishedPorts.isEmpty() ? "" : ", publish=" + publishedPorts)
                + (exposedHostPorts.isEmpty() ? "" : ", exposeHostPorts=" + exposedHostPorts)
                + joinedNetwork.map(j -> ", network=" + j.network() + ", aliases=" + j.aliases()).orElse("")
                + imageRootMode.map(m -> ", imageRootMode=" + m).orElse("")
                + (rootfs.isImage() ? ", writableLayer=" + writableLayer : "")
                + (egress ? ", network=egress" + (egressHostLoopback ? "+host-loopback" : "") : "") + "}";
    }

    static void checkEnv(String name, String value) {
        if (name == null || !ENV_NAME.matcher(name).matches()) {
            throw new SpecException("env", "variable name '" + name + "' is empty or contains '=' or NUL");
        }
        if (value == null || value.indexOf('\0') >= 0) {
            throw new SpecException("env", "value of " + name + " is null or contains a NUL byte");
        }
        ProcessSpec.checkExecString("env", name + "=...", name + "=" + value);
    }

    public static final class Builder {
        private Set<Namespace> namespaces = EnumSet.allOf(Namespace.class);
        private RootFs rootfs = RootFs.host();
        private final List<Mount> mounts = new ArrayList<>();
        private final List<Device> devices = new ArrayList<>();
        private final List<Hook> hooks = new ArrayList<>();
        private boolean readOnlyRoot;
        private String hostname = "sandbox";
        private final Map<String, String> environment = new LinkedHashMap<>();
        private String workdir = "/";
        private UserSpec user = UserSpec.ROOT;
        private String userName;
        private final Map<Rlimit, Rlimit.Value> rlimits = new EnumMap<>(Rlimit.class);
        private ResourceLimits limits = ResourceLimits.NONE;
        private String seccompProfile = "default";
        private boolean reportSeccompDenials = true;
        private Set<Capability> capabilities = EnumSet.copyOf(Capability.DOCKER_DEFAULT);
        private IdMappingMode idMapping = IdMappingMode.AUTO;
        private boolean hideHome = true;
        private boolean trackUsage = true;
        private boolean allowNestedUserNamespaces;
        private boolean allowCompatArchitectures;
        private Optional<ImageRootMode> imageRootMode = Optional.empty();
        private WritableLayer writableLayer = WritableLayer.tmpfs();
        private OptionalLong tmpSize = OptionalLong.empty();
        private OptionalLong shmSize = OptionalLong.empty();
        private final List<PortMapping> publishedPorts = new ArrayList<>();
        private final List<HostPort> exposedHostPorts = new ArrayList<>();
        private Optional<NetworkJoin> joinedNetwork = Optional.empty();
        private boolean egress;
        private boolean egressHostLoopback;
        /** What the caller set, which an image's defaults never replace. */
        private final Set<String> explicitEnv = new HashSet<>();
        private boolean explicitWorkdir;
        private boolean explicitUser;

        private Builder() {
            environment.put("PATH", DEFAULT_PATH);
            environment.put("HOME", "/root");
        }

        public Builder rootfs(RootFs root) {
            this.rootfs = Objects.requireNonNull(root, "rootfs");
            return this;
        }

        /**
         * The image's layers as the root (stacked read-only by overlayfs, with a writable layer of this sandbox's own
         * that disappears with it), and its configuration as the defaults of every process: its Env over the default
         * PATH and HOME, its WorkingDir (created if missing) and its User, resolved through the image's own /etc/passwd.
         * What the caller sets with {@link #env}, {@link #workdir} and {@link #user} wins, before or after this call.
         * The image's default command is {@code image.config().command(...)}.
         */
        public Builder image(Image image) {
            this.rootfs = RootFs.image(image);
            var config = image.config();
            for (String entry : config.env()) {
                int eq = entry.indexOf('=');
                String name = eq < 0 ? entry : entry.substring(0, eq);
                if (!explicitEnv.contains(name) && !name.isEmpty()) {
                    checkEnv(name, eq < 0 ? "" : entry.substring(eq + 1));
                    environment.put(name, eq < 0 ? "" : entry.substring(eq + 1));
                }
            }
            if (!explicitWorkdir) {
                this.workdir = config.workingDir().isEmpty() ? "/" : SandboxPaths.insidePath("workdir", config.workingDir());
            }
            if (!explicitUser) {
                // A name is looked up in the image's own /etc/passwd when the sandbox starts.
                setUser(config.user().isEmpty() ? "0" : config.user());
            }
            return this;
        }

        /** Forces how an image root is assembled (else {@value ImageRootMode#PROPERTY}, else what the host supports). */
        public Builder imageRootMode(ImageRootMode mode) {
            this.imageRootMode = Optional.of(mode);
            return this;
        }

        /** Where an image root's writes go: a tmpfs (optionally of a given size) or a directory on disk. */
        public Builder writableLayer(WritableLayer layer) {
            this.writableLayer = Objects.requireNonNull(layer, "writableLayer");
            return this;
        }

        /** Switches a namespace off; the sandbox then shares the host's (user namespaces cannot be switched off without root). */
        public Builder withoutNamespace(Namespace ns) {
            namespaces.remove(ns);
            return this;
        }

        public Builder namespaces(Set<Namespace> set) {
            namespaces = set.isEmpty() ? EnumSet.noneOf(Namespace.class) : EnumSet.copyOf(set);
            return this;
        }

        public Builder network(NetworkMode mode) {
            if (mode == NetworkMode.HOST) {
                namespaces.remove(Namespace.NET);
            } else {
                namespaces.add(Namespace.NET);
            }
            this.egress = mode == NetworkMode.EGRESS;
            return this;
        }

        /** With {@link NetworkMode#EGRESS}: lets 10.0.2.2 reach the host's loopback; see the getter. */
        public Builder egressHostLoopback(boolean value) {
            this.egressHostLoopback = value;
            return this;
        }

        /**
         * Joins the network {@code name} of the runtime that starts the sandbox (made with
         * {@code SandboxRuntime.createNetwork(name)}; it must be open then): the sandbox gets its own network
         * namespace with an address on the network, reaches the other members (and only them) by address, hostname
         * or alias, and its hostname and {@code aliases} resolve to its address for every member. Implies a network
         * namespace of its own ({@link NetworkMode#NONE} plus the network).
         */
        public Builder joinNetwork(String name, String... aliases) {
            Objects.requireNonNull(aliases, "aliases");
            this.joinedNetwork = Optional.of(new NetworkJoin(name, Arrays.asList(aliases)));
            namespaces.add(Namespace.NET);
            return this;
        }

        public Builder mount(Mount mount) {
            mounts.add(Objects.requireNonNull(mount, "mount"));
            return this;
        }

        /** Binds a host device node into /dev, once checked to be the device it claims; see {@link Device}. */
        public Builder device(Device device) {
            devices.add(Objects.requireNonNull(device, "device"));
            return this;
        }

        /** Runs a command at a lifecycle stage; see {@link Hook}. */
        public Builder hook(Hook hook) {
            hooks.add(Objects.requireNonNull(hook, "hook"));
            return this;
        }

        public Builder bindReadOnly(String source, String target) {
            return mount(Mount.bind(source, target, true));
        }

        public Builder bindWritable(String source, String target) {
            return mount(Mount.bind(source, target, false));
        }

        public Builder tmpfs(String target, long sizeBytes) {
            return mount(Mount.tmpfs(target, sizeBytes, 01777));
        }

        public Builder readOnlyRoot(boolean value) {
            this.readOnlyRoot = value;
            return this;
        }

        public Builder hostname(String name) {
            if (name == null || !HOSTNAME.matcher(name).matches()) {
                throw new SpecException("hostname", "'" + name + "' is not a hostname: 1-64 bytes of letters, digits, '.' or '-', starting with a letter or digit");
            }
            this.hostname = name;
            return this;
        }

        public Builder env(String name, String value) {
            checkEnv(name, value);
            environment.put(name, value);
            explicitEnv.add(name);
            return this;
        }

        /** Passes a variable of the JVM's environment through, if it is set. */
        public Builder passEnv(String name) {
            String value = System.getenv(name);
            if (value != null) {
                env(name, value);
            }
            return this;
        }

        public Builder workdir(String dir) {
            this.workdir = SandboxPaths.insidePath("workdir", dir);
            this.explicitWorkdir = true;
            return this;
        }

        public Builder user(UserSpec u) {
            this.user = Objects.requireNonNull(u, "user");
            this.userName = null;
            this.explicitUser = true;
            return this;
        }

        /**
         * {@code UID[:GID]}, or {@code NAME[:GROUP]} from the root filesystem's /etc/passwd and /etc/group: names are
         * looked up when the sandbox starts, in the root it gets, without following links out of it.
         */
        public Builder user(String text) {
            setUser(text);
            this.explicitUser = true;
            return this;
        }

        private void setUser(String text) {
            if (UserSpec.isIds(text)) {
                this.user = UserSpec.parseIds(text);
                this.userName = null;
                return;
            }
            UserSpec.checkNames(text);
            this.user = UserSpec.ROOT;
            this.userName = text;
        }

        public Builder rlimit(Rlimit which, long soft, long hard) {
            rlimits.put(which, new Rlimit.Value(soft, hard));
            return this;
        }

        public Builder limits(ResourceLimits value) {
            this.limits = Objects.requireNonNull(value, "limits");
            return this;
        }

        public Builder memory(long bytes) {
            return limits(limits.withMemoryMax(bytes));
        }

        public Builder cpus(double cpus) {
            return limits(limits.withCpus(cpus));
        }

        public Builder pids(long max) {
            return limits(limits.withPidsMax(max));
        }

        /** IO bandwidth limits for one block device; see {@link IoMax#of} and {@link IoMax#forDevice}. */
        public Builder ioMax(IoMax limit) {
            return limits(limits.withIoMax(limit));
        }

        public Builder seccomp(String profile) {
            if (profile == null || profile.isBlank()) {
                throw new SpecException("seccomp", "empty profile; allowed: default, unconfined, docker-default or a JSON file path");
            }
            this.seccompProfile = profile;
            return this;
        }

        public Builder reportSeccompDenials(boolean value) {
            this.reportSeccompDenials = value;
            return this;
        }

        public Builder capabilities(Set<Capability> caps) {
            this.capabilities = caps.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(caps);
            return this;
        }

        public Builder addCapability(Capability cap) {
            capabilities.add(cap);
            return this;
        }

        public Builder dropCapability(Capability cap) {
            capabilities.remove(cap);
            return this;
        }

        public Builder idMapping(IdMappingMode mode) {
            this.idMapping = Objects.requireNonNull(mode, "idMapping");
            return this;
        }

        public Builder hideHome(boolean value) {
            this.hideHome = value;
            return this;
        }

        public Builder allowNestedUserNamespaces(boolean value) {
            this.allowNestedUserNamespaces = value;
            return this;
        }

        /** Lets 32-bit and x32 calls through the seccomp filter as the profile allows them; see the getter. */
        public Builder allowCompatArchitectures(boolean value) {
            this.allowCompatArchitectures = value;
            return this;
        }

        /** The size of /tmp in bytes (see {@link SandboxSpec#tmpSize()} for the default). */
        public Builder tmpSize(long bytes) {
            this.tmpSize = OptionalLong.of(positiveSize("tmpSize", bytes));
            return this;
        }

        /** The size of /dev/shm in bytes (see {@link SandboxSpec#shmSize()} for the default). */
        public Builder shmSize(long bytes) {
            this.shmSize = OptionalLong.of(positiveSize("shmSize", bytes));
            return this;
        }

        private static long positiveSize(String field, long bytes) {
            if (bytes < 1) {
                throw new SpecException(field, bytes + " is not a size; expected at least 1 byte (e.g. 64m)");
            }
            return bytes;
        }

        public Builder trackUsage(boolean value) {
            this.trackUsage = value;
            return this;
        }

        /** Publishes sandbox ports on host loopback ports (needs the sandbox's own network namespace). */
        public Builder publish(PortMapping... mappings) {
            for (PortMapping m : mappings) {
                publishedPorts.add(Objects.requireNonNull(m, "publish"));
            }
            return this;
        }

        /** Makes these TCP ports of the host's 127.0.0.1 reachable inside as {@code host.sandboxed.internal:PORT}. */
        public Builder exposeHostPort(int... ports) {
            for (int port : ports) {
                exposedHostPorts.add(HostPort.tcp(port));
            }
            return this;
        }

        /**
         * Makes these TCP or UDP ports of the host's 127.0.0.1 reachable inside as {@code host.sandboxed.internal:PORT};
         * each UDP client inside gets a host socket of its own, so replies find it, forgotten after 60 s without traffic.
         */
        public Builder exposeHostPort(HostPort... ports) {
            for (HostPort port : ports) {
                exposedHostPorts.add(Objects.requireNonNull(port, "exposeHostPort"));
            }
            return this;
        }

        public SandboxSpec build() {
            if (namespaces.contains(Namespace.PID) && !namespaces.contains(Namespace.MOUNT)) {
                throw new SpecException("namespaces", "a pid namespace needs a mount namespace for its own /proc; keep MOUNT or drop PID");
            }
            if (namespaces.contains(Namespace.USER) && namespaces.contains(Namespace.MOUNT)
                    && !namespaces.contains(Namespace.PID)) {
                // The kernel lets a user namespace mount proc only for a pid namespace it owns.
                throw new SpecException("namespaces", "the fresh /proc of a user namespace needs its own pid namespace;"
                        + " keep PID (a sandbox that shares the host's pids has to drop USER too, which only root may)");
            }
            if (joinedNetwork.isPresent() && !namespaces.contains(Namespace.NET)) {
                throw new SpecException("network", "joining network '" + joinedNetwork.get().network()
                        + "' needs a network namespace of its own; do not use the host's network (NetworkMode.HOST)");
            }
            checkEgress();
            if (!namespaces.contains(Namespace.MOUNT) && !devices.isEmpty()) {
                throw new SpecException("devices", "binding devices needs the MOUNT namespace");
            }
            Set<String> devicePaths = new HashSet<>();
            for (Device d : devices) {
                if (!devicePaths.add(d.path())) {
                    throw new SpecException("devices.path", d.path() + " is given twice; bind each device once");
                }
            }
            if (!namespaces.contains(Namespace.MOUNT) && (!mounts.isEmpty() || !rootfs.isHost() || readOnlyRoot)) {
                throw new SpecException("namespaces", "mounts, a rootfs directory and a read-only root need the MOUNT namespace");
            }
            checkPorts();
            return new SandboxSpec(this);
        }

        private void checkEgress() {
            if (egressHostLoopback && !egress) {
                throw new SpecException("egressHostLoopback", "only applies to network egress (NetworkMode.EGRESS)");
            }
            if (egress && !namespaces.contains(Namespace.NET)) {
                throw new SpecException("network", "egress needs a network namespace of its own; keep NET");
            }
            if (egress && joinedNetwork.isPresent()) {
                throw new SpecException("network", "egress and joining network '" + joinedNetwork.get().network()
                        + "' do not combine; choose one");
            }
        }

        /** Forwarding runs in the sandbox's own network namespace, by its init; at most 64 mappings (the init's). */
        private void checkPorts() {
            if ((!publishedPorts.isEmpty() || !exposedHostPorts.isEmpty()) && !namespaces.contains(Namespace.NET)) {
                throw new SpecException(publishedPorts.isEmpty() ? "exposeHostPort" : "publish", "needs the sandbox's own"
                        + " network namespace (network none); with network host the sandbox shares the host's ports");
            }
            if (publishedPorts.size() + exposedHostPorts.size() > MAX_PORT_MAPPINGS) {
                throw new SpecException("publish", "more than " + MAX_PORT_MAPPINGS + " published and exposed ports");
            }
            Set<String> seen = new HashSet<>();
            for (PortMapping m : publishedPorts) {
                if (!seen.add(m.containerPort() + "/" + m.transport())) {
                    throw new SpecException("publish", m.containerPort() + "/" + m.transport() + " is published twice;"
                            + " publish each sandbox port once");
                }
            }
            if (new HashSet<>(exposedHostPorts).size() != exposedHostPorts.size()) {
                throw new SpecException("exposeHostPort", "a port is exposed twice: " + exposedHostPorts);
            }
        }
    }
}
