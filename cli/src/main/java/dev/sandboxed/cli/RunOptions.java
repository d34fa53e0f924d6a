package dev.sandboxed.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.sandboxed.core.Images;
import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageSource;
import dev.sandboxed.core.image.PullListener;
import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.IoMax;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.NetworkMode;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Sizes;
import dev.sandboxed.core.spec.SpecException;

/**
 * The options of {@code sandboxed run}, parsed into a spec. Every option is validated here, so a typo
 * is reported before anything is created on the host.
 */
final class RunOptions {
    static final String USAGE = """
            usage: sandboxed run [options] -- CMD [ARG...]
                   sandboxed run --image REF [--entrypoint PATH] [options] [-- CMD [ARG...]]
              --rootfs host|DIR          root filesystem (default: the host's, read-only)
              --image REF                the root is this image (pulled if missing), its config the defaults;
                                         CMD replaces the image's Cmd and keeps its Entrypoint
              --entrypoint PATH          replaces the image's Entrypoint (and drops its Cmd), as docker run does
              --bind SRC:DST[:ro|:rw]    bind a host path (read-only unless :rw); repeatable
              --tmpfs DST[:size=N]       a private tmpfs; repeatable
              --workdir DIR              working directory inside (default /)
              --env K=V                  set a variable (the environment is clean by default); repeatable
              --pass-env K               pass a variable of the caller's environment through; repeatable
              --hostname H               hostname inside (default sandbox)
              --user USER[:GROUP]        user inside, ids or names from the rootfs's /etc/passwd (default 0:0)
              --net, --network none|host|egress
                                         network: only lo (default), the host's, or own plus outbound access
                                         through pasta or slirp4netns (see doctor)
              --egress-host-loopback     with egress: 10.0.2.2 reaches the host's 127.0.0.1 (off by default)
              --publish [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]
                                         reach a port of the sandbox on a host loopback port (ephemeral unless
                                         HOST_PORT; HOST_IP 127.0.0.1 unless another loopback one); repeatable
              --publish-all              publish every port the image exposes (ExposedPorts), on ephemeral ports
              --expose-host-port PORT[/tcp|/udp]
                                         the host's 127.0.0.1:PORT is host.sandboxed.internal:PORT inside;
                                         repeatable (no other host port is reachable)
              --device /dev/fuse|/dev/net/tun|HOST[:INSIDE]:TYPE:MAJOR:MINOR
                                         bind a host device node into /dev, checked to be that device (type c
                                         or b); repeatable
              --hook STAGE:PATH          run PATH at an OCI lifecycle stage (prestart, createRuntime,
                                         createContainer, startContainer, poststart, poststop) with the state
                                         JSON on stdin; repeatable
              --hooks FILE               the hooks of an OCI config.json's "hooks" object (path, args, env,
                                         timeout), or of a whole config.json
              --read-only                make the root read-only
              --memory N                 memory limit, e.g. 64m
              --tmp-size N, --shm-size N size of /tmp and /dev/shm (default: half and a quarter of --memory,
                                         else 1g and 64m)
              --cpus N                   CPU limit, e.g. 0.5
              --pids N                   maximum number of processes
              --device-read-bps DEV:RATE, --device-write-bps DEV:RATE
                                         IO bandwidth limit for a block device (/dev/sda or 8:0), e.g. 8:0:1m
              --device-read-iops DEV:N, --device-write-iops DEV:N
                                         IO operations per second for a block device; each repeatable
              --timeout DURATION         kill CMD after e.g. 30s
              --seccomp default|unconfined|FILE
              --seccomp-compat-arch      also let 32-bit (i386) and x32 calls through, as the profile allows
                                         them (default: native calls only; others kill the process)
              --stats FILE               write resource usage and exit status as JSON
              --cgroup-parent PATH       create the sandbox's cgroup under PATH
              --verbose                  log what the runtime does (by default only warnings)
            exit code: CMD's own; 128+N when killed by signal N; 125 sandbox error; 126 CMD cannot be executed; 127 CMD not found""";

    final SandboxSpec spec;
    final ProcessSpec process;
    final Optional<Duration> timeout;
    final Optional<Path> statsFile;
    final Optional<String> cgroupParent;
    final boolean verbose;

    private RunOptions(SandboxSpec spec, ProcessSpec process, Optional<Duration> timeout, Optional<Path> statsFile,
            Optional<String> cgroupParent, boolean verbose) {
        this.spec = spec;
        this.process = process;
        this.timeout = timeout;
        this.statsFile = statsFile;
        this.cgroupParent = cgroupParent;
        this.verbose = verbose;
    }

    static RunOptions parse(List<String> args) {
        return parse(args, PullListener.NONE);
    }

    static RunOptions parse(List<String> args, PullListener pullProgress) {
        SandboxSpec.Builder spec = SandboxSpec.builder();
        String imageRef = null;
        Optional<List<String>> entrypoint = Optional.empty();
        List<Runnable> afterRootfs = new ArrayList<>();
        Map<String, IoMax.Builder> io = new LinkedHashMap<>();
        Duration timeout = null;
        Path stats = null;
        String cgroupParent = null;
        boolean verbose = false;
        boolean publishAll = false;
        int i = 0;
        for (; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (!arg.startsWith("--")) {
                break; // the command starts here
            }
            if (arg.equals("--help")) {
                throw new HelpRequested();
            }
            String name = arg;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (name.equals("--read-only") || name.equals("--seccomp-compat-arch") || name.equals("--verbose")
                    || name.equals("--publish-all") || name.equals("--egress-host-loopback")) {
                value = "";
            } else {
                if (i + 1 >= args.size()) {
                    throw new UsageException(name + " needs a value");
                }
                value = args.get(++i);
            }
            final String v = value;
            switch (name) {
                case "--rootfs" -> spec.rootfs(RootFs.parse(v));
                case "--image" -> imageRef = v;
                case "--entrypoint" -> entrypoint = Optional.of(v.isEmpty() ? List.of() : List.of(v));
                case "--bind" -> spec.mount(Mount.parseBind(v));
                case "--tmpfs" -> spec.mount(Mount.parseTmpfs(v));
                case "--workdir" -> spec.workdir(v);
                case "--env" -> {
                    int e = v.indexOf('=');
                    if (e <= 0) {
                        throw new SpecException("env", "'" + v + "' is not K=V");
                    }
                    spec.env(v.substring(0, e), v.substring(e + 1));
                }
                case "--pass-env" -> spec.passEnv(v);
                case "--hostname" -> spec.hostname(v);
                case "--user" -> afterRootfs.add(() -> spec.user(v)); // names are looked up in the chosen rootfs
                case "--net", "--network" -> spec.network(NetworkMode.parse(v));
                case "--egress-host-loopback" -> spec.egressHostLoopback(true);
                case "--publish" -> spec.publish(PortMapping.parse(v));
                case "--publish-all" -> publishAll = true;
                case "--expose-host-port" -> spec.exposeHostPort(parseHostPort(v));
                case "--read-only" -> spec.readOnlyRoot(true);
                case "--device" -> spec.device(Device.parse(v));
                case "--hook" -> spec.hook(Hook.parse(v));
                case "--hooks" -> OciHooksFile.read(v).forEach(spec::hook);
                case "--memory" -> spec.memory(Sizes.parseBytes("memory", v));
                case "--tmp-size" -> spec.tmpSize(Sizes.parseBytes("tmp-size", v));
                case "--shm-size" -> spec.shmSize(Sizes.parseBytes("shm-size", v));
                case "--cpus" -> spec.cpus(parseCpus(v));
                case "--pids" -> spec.pids(parsePids(v));
                case "--device-read-bps" -> ioLimit(io, name, v).readBps(Sizes.parseBytes("device-read-bps", rate(v)));
                case "--device-write-bps" -> ioLimit(io, name, v).writeBps(Sizes.parseBytes("device-write-bps", rate(v)));
                case "--device-read-iops" -> ioLimit(io, name, v).readIops(parseIops(name, rate(v)));
                case "--device-write-iops" -> ioLimit(io, name, v).writeIops(parseIops(name, rate(v)));
                case "--timeout" -> timeout = Sizes.parseDuration("timeout", v);
                case "--seccomp" -> spec.seccomp(v);
                case "--seccomp-compat-arch" -> spec.allowCompatArchitectures(true);
                case "--stats" -> stats = StatsFile.check(v);
                case "--cgroup-parent" -> cgroupParent = v;
                case "--verbose" -> verbose = true;
                default -> throw new UsageException("unknown option " + name);
            }
        }
        if (imageRef == null && entrypoint.isPresent()) {
            throw new UsageException("--entrypoint needs --image\n" + USAGE);
        }
        if (imageRef == null && publishAll) {
            throw new UsageException("--publish-all needs --image (it publishes the image's ExposedPorts)\n" + USAGE);
        }
        // Checked before the pull, so a typo costs no download.
        Image image = imageRef == null ? null : Images.defaults().pull(checkedReference(imageRef), pullProgress);
        if (image != null) {
            spec.image(image);
            if (publishAll) {
                publishExposedPorts(spec, image);
            }
        }
        afterRootfs.forEach(Runnable::run);
        io.values().forEach(device -> spec.ioMax(device.build()));
        List<String> command = args.subList(Math.min(i, args.size()), args.size());
        if (image != null) {
            command = image.config().command(entrypoint, command);
            if (command.isEmpty()) {
                throw new UsageException("image " + image.source() + " has no Entrypoint or Cmd; give CMD\n" + USAGE);
            }
        }
        if (command.isEmpty()) {
            throw new UsageException("no command given");
        }
        ProcessSpec process = ProcessSpec.builder(command).inheritIo().build();
        return new RunOptions(spec.build(), process, Optional.ofNullable(timeout), Optional.ofNullable(stats),
                Optional.ofNullable(cgroupParent), verbose);
    }

    /** {@code --help} among the options: the usage is printed instead of running anything. */
    static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HelpRequested() {
            super("--help", null, false, false);
        }
    }

    private static String checkedReference(String ref) {
        ImageSource.parse(ref);
        return ref;
    }

    /** The device of {@code DEV:VALUE} (a /dev path or MAJOR:MINOR), with its limits so far. */
    private static IoMax.Builder ioLimit(Map<String, IoMax.Builder> io, String option, String v) {
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw new SpecException(option.substring(2), "'" + v + "' is not DEVICE:VALUE, e.g. /dev/sda:1m or 8:0:1m");
        }
        String device = v.substring(0, colon);
        String numbers = device.startsWith("/") ? IoMax.deviceNumbers(option.substring(2), Path.of(device)) : device;
        return io.computeIfAbsent(numbers, IoMax::of);
    }

    /** The VALUE of {@code DEV:VALUE}. */
    private static String rate(String v) {
        return v.substring(v.lastIndexOf(':') + 1);
    }

    /** The image's ExposedPorts ({@code 80/tcp}, {@code 53/udp}) on ephemeral loopback ports. */
    private static void publishExposedPorts(SandboxSpec.Builder spec, Image image) {
        for (String port : image.config().exposedPorts().stream().sorted().toList()) {
            try {
                spec.publish(PortMapping.parse(port));
            } catch (SpecException e) {
                throw new SpecException("publish-all", "image " + image.source() + " exposes '" + port
                        + "', which is not PORT[/tcp|/udp]; publish its ports one by one with --publish");
            }
        }
    }

    private static HostPort parseHostPort(String v) {
        try {
            return HostPort.parse(v);
        } catch (SpecException e) {
            throw new SpecException("expose-host-port", "'" + v + "' is not PORT[/tcp|/udp] with a port 1..65535");
        }
    }

    private static long parseIops(String option, String v) {
        try {
            long n = Long.parseLong(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new SpecException(option.substring(2), "'" + v + "' is not a positive whole number of operations per second");
        }
    }

    private static double parseCpus(String v) {
        try {
            double cpus = Double.parseDouble(v);
            if (!(cpus > 0) || Double.isInfinite(cpus)) {
                throw new NumberFormatException();
            }
            return cpus;
        } catch (NumberFormatException e) {
            throw new SpecException("cpus", "'" + v + "' is not a positive number of CPUs such as 0.5 or 2");
        }
    }

    private static long parsePids(String v) {
        long pids;
        try {
            pids = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new SpecException("pids", "'" + v + "' is not a whole number of processes");
        }
        if (pids < ResourceLimits.MIN_PIDS) {
            throw new SpecException("pids", "'" + v + "' is too few: at least " + ResourceLimits.MIN_PIDS
                    + " (the sandbox's init and the command; each further process or thread needs one more)");
        }
        return pids;
    }
}
