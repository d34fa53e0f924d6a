package dev.sandboxed.junit.internal.hermetic;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * Runs one test method in a fresh JVM inside a sandbox: binds what that JVM needs read-only (the JDK, the test class
 * path, the working directory) and a private shared directory writable, starts {@code java} with deliberately chosen
 * options, streams its output, sends it the test on its stdin (so a JVM can be started ahead and boot while another
 * test runs, see {@link #prepare}), and collects its events and the sandbox's final usage.
 *
 * <p>JVM options, and why: {@code -XX:+UseSerialGC} (one GC thread, the smallest footprint for one test),
 * {@code -XX:TieredStopAtLevel=1} (C1 only: a single test rarely runs long enough for C2 to pay off),
 * {@code -XX:CompileThresholdScaling=3} (a method is compiled after three times the usual calls or loop turns: most
 * of the boot's code runs a few times only; a trivial test's JVM compiles 440 methods instead of 800 and uses some
 * 12 % less CPU time, while a hot loop is compiled a few milliseconds later),
 * {@code -Xshare:auto} (the JDK's class-data archive, or the class path's, see {@link Cds}),
 * {@code -XX:-UsePerfData} (no hsperfdata file), {@code --enable-native-access=ALL-UNNAMED} (Sandboxed's libc calls
 * in the child, without a warning), a heap of half the memory limit (so that a heap overflow is an
 * {@code OutOfMemoryError} in the test and the rest of the limit is left to metaspace, code, threads and direct
 * buffers) or 256 MiB without one; the parent's {@code -Xmx} and other options are not copied (they were chosen for a
 * JVM that runs a whole suite). {@code extraOptions} come last, so they win. The child's {@code java.io.tmpdir} is the sandbox's private {@code /tmp}.
 *
 * <p>What of the parent the child gets, so that a test behaves there as in place: its system properties except those
 * of its JVM, launcher and platform ({@code java.*}, {@code user.*}, {@code file.*} ..., see
 * {@code OWN_PROPERTY_PREFIXES}), with their current values; then the {@code -D} options of its command line among
 * those ({@code -Duser.timezone=UTC}, {@code -Dfile.encoding}, {@code -Duser.language} from Surefire's
 * {@code argLine}, say), except those describing the parent JVM, its launcher or its user (see
 * {@link #forwardedOptions}); its output encodings; and, besides the sandbox's environment ({@code PATH} and
 * {@code HOME} unless {@code @Sandboxed(env)} sets more, which wins), its {@code LANG}, {@code LANGUAGE},
 * {@code LC_*} and {@code TZ} (see {@link #forwardedEnvironment}): the locale alone sets how file names are encoded.
 * The class path is read from an argument file in the shared directory (see {@link #writeArgFile}).
 */
public final class JvmRun {
    static final long DEFAULT_HEAP = 256L << 20;
    /** The argument file with the class path, in the shared directory (written before the JVM starts). */
    static final String CLASS_PATH_ARGS = "class-path.args";
    private static final String CHILD_MAIN = ChildMain.class.getName();
    /** System properties of the parent that describe that JVM, its user or its launcher: never passed on. */
    private static final List<String> OWN_PROPERTY_PREFIXES = List.of("java.", "jdk.", "sun.", "os.", "user.", "file.",
            "line.separator", "path.separator", "native.encoding", "stdout.encoding", "stderr.encoding", "surefire.",
            "awt.", "jnr.", "idea.", "intellij.", "maven.", "basedir", Wire.CHILD_PROPERTY);
    /**
     * Properties given as {@code -D} on the parent's command line that still describe the parent JVM, its launcher
     * (Surefire, Gradle, an IDE) or its user rather than what the test needs: never passed on (names, or prefixes
     * ending in a dot). The child's {@code java.io.tmpdir} is the sandbox's /tmp, its working directory is set as the
     * parent's, its user is the sandbox's, its class path is {@link #classPath}.
     */
    private static final List<String> NOT_FORWARDED = List.of("java.class.path", "java.home", "java.io.tmpdir",
            "java.security.manager", "java.system.class.loader", "jdk.module.", "jdk.internal.", "sun.java.",
            "sun.boot.", "sun.jnu.encoding", "user.dir", "user.home", "user.name", "surefire.", "basedir", "maven.",
            "idea.", "intellij.", "org.gradle.", Wire.CHILD_PROPERTY);
    /** The parent's environment variables the child gets: the locale and the time zone (else PATH and HOME only). */
    private static final Pattern FORWARDED_ENV = Pattern.compile("LANG|LANGUAGE|LC_[A-Z_]+|TZ");

    private final Cds cds;
    private final List<String> classPath;
    private final List<String> extraOptions;
    private final OutputStream stdout;
    private final OutputStream stderr;

    /**
     * @param classPath    the child's class path (see {@link #classPath})
     * @param extraOptions JVM options appended after the chosen ones
     */
    public JvmRun(List<String> classPath, List<String> extraOptions, OutputStream stdout, OutputStream stderr) {
        this(Cds.off(classPath), extraOptions, stdout, stderr);
    }

    /**
     * @param cds          the class-data archive of the child's class path (which it orders), or {@link Cds#off}
     * @param extraOptions JVM options appended after the chosen ones
     */
    public JvmRun(Cds cds, List<String> extraOptions, OutputStream stdout, OutputStream stderr) {
        this.cds = cds;
        this.classPath = cds.classPath();
        this.extraOptions = List.copyOf(extraOptions);
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * What came back: how the JVM ended (TIMED_OUT when it was killed at the timeout), its command and run time, its
     * sandbox's final usage, the events it reported and its use of the class-data archive (see {@link Cds.Use}).
     *
     * @param crash        the head of the JVM's crash report (hs_err), where it crashed and wrote one
     * @param cpuAtStart   the JVM's own CPU time when it, booted, had read its test (its {@code received} event),
     *                     as it reported it; absent when it reported none
     */
    public record Outcome(List<String> command, ExitStatus status, Duration duration, ResourceUsage usage,
                          List<JsonNode> events, SandboxSpec spec, String cds, Optional<String> crash,
                          Optional<Duration> cpuAtStart) {
    }

    /**
     * A sandboxed JVM started and booted ahead (the launcher and the protocol loaded), waiting on its stdin for the
     * test to run. {@link #key()} says what it fits: the sandbox spec and the whole command line.
     */
    public static final class Prepared implements AutoCloseable {
        private final Key key;
        private final Path dir;
        private final Sandbox sandbox;
        private final SandboxProcess process;
        private final SandboxSpec spec;
        private final Cds.Use cds;
        private final Runnable abandonListing;
        private final List<Thread> output;
        private final EventPipe events;
        /** The sandbox's usage when the JVM reported its test's start, taken as that event came. */
        private final KernelPeaks peaks;
        /** Set once {@link #finish} took it for a test: its class listing is then read, not handed on. */
        private boolean used;

        Prepared(Key key, Path dir, Sandbox sandbox, SandboxProcess process, SandboxSpec spec, Cds.Use cds,
                 Runnable abandonListing, List<Thread> output, EventPipe events, KernelPeaks peaks) {
            this.peaks = peaks;
            this.output = output;
            this.events = events;
            this.key = key;
            this.cds = cds;
            this.abandonListing = abandonListing;
            this.dir = dir;
            this.sandbox = sandbox;
            this.process = process;
            this.spec = spec;
        }

        public Key key() {
            return key;
        }

        /** Whether it can still take a test (it did not die while waiting). */
        public boolean usable() {
            return process.isAlive();
        }

        /** Ends it unused: kills its JVM, removes its sandbox and directory; a later JVM lists classes if it was to. */
        @Override
        public void close() {
            try {
                sandbox.close();
            } finally {
                try {
                    process.stdin().close(); // never written: the test it waited for did not come
                } catch (IOException | RuntimeException e) {
                    // the JVM is gone; nothing to tell
                }
                endQuietly(events);
                SharedDir.remove(dir);
                if (cds.lists() && !used) {
                    abandonListing.run();
                }
            }
        }
    }

    /** Copies a sandboxed JVM's output into this JVM's stream until its end, on a thread {@link #finish} joins. */
    private static Thread pump(InputStream from, OutputStream to, String name) {
        Thread t = new Thread(() -> {
            try (from) {
                from.transferTo(to);
            } catch (IOException e) {
                // this JVM's own stream failed, or the pipe ended with the sandbox: nothing more to copy
            }
        }, "sandboxed-jvm-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Waits for the output threads to reach the end of the pipes (the sandbox is gone), 10 s at most. */
    private static void awaitOutput(List<Thread> output) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : output) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What a prepared JVM fits: the spec its sandbox was made from and the command line (without the CDS options). */
    public record Key(SandboxSpec base, List<String> command) {
    }

    /** The key a JVM prepared now for {@code base} would have. */
    public Key key(SandboxSpec base) {
        return new Key(base, command(base, List.of(), Optional.empty()));
    }

    /** Starts a sandboxed JVM for {@code base} made by {@code start}, which boots and then waits for its test. */
    public Prepared prepare(SandboxSpec base, Function<SandboxSpec, Sandbox> start) {
        Path dir;
        try {
            dir = SharedDir.create();
        } catch (IOException e) {
            throw new UncheckedIOException("create the sandboxed JVM's directory", e);
        }
        Sandbox sandbox = null;
        Cds.Use use = null;
        EventPipe events = null;
        try {
            SandboxSpec spec = spec(base, dir);
            use = cds.next();
            try {
                writeArgFile(dir.resolve(CLASS_PATH_ARGS), classPath);
            } catch (IOException e) {
                throw new UncheckedIOException("write the sandboxed JVM's class path into " + dir, e);
            }
            List<String> command = command(base, use.options(), Optional.of(Wire.DIR_INSIDE + "/" + CLASS_PATH_ARGS));
            sandbox = start.apply(spec);
            // Opened once the sandbox is up: a helper process started with it must not inherit the FIFO.
            events = EventPipe.create(dir.resolve(Wire.EVENTS));
            ProcessSpec.Builder ps = ProcessSpec.builder(command)
                    .workdir(Path.of(System.getProperty("user.dir")).toAbsolutePath().toString())
                    .stdin(Stdio.pipe()).stdout(Stdio.pipe()).stderr(Stdio.pipe());
            // The sandbox's settings (@Sandboxed env) win over the parent's locale.
            forwardedEnvironment(System.getenv()).forEach((name, value) -> {
                if (!base.environment().containsKey(name)) {
                    ps.env(name, value);
                }
            });
            SandboxProcess process = sandbox.spawn(ps.build());
            events.start(process::kill);
            List<Thread> output = List.of(pump(process.stdout(), stdout, "stdout"), pump(process.stderr(), stderr, "stderr"));
            return new Prepared(key(base), dir, sandbox, process, spec, use, cds::abandonListing, output, events,
                    KernelPeaks.of(sandbox.cgroupDirectories()));
        } catch (IOException e) {
            cleanUp(sandbox, events, dir, use);
            throw new UncheckedIOException("make the sandboxed JVM's events FIFO in " + dir, e);
        } catch (RuntimeException | Error e) {
            cleanUp(sandbox, events, dir, use);
            throw e;
        }
    }

    private void cleanUp(Sandbox sandbox, EventPipe events, Path dir, Cds.Use use) {
        try {
            if (sandbox != null) {
                sandbox.close();
            }
        } finally {
            endQuietly(events);
            SharedDir.remove(dir);
            if (use != null && use.lists()) {
                cds.abandonListing();
            }
        }
    }

    /** Ends the events reader of a JVM whose result is not wanted (its sandbox is gone). */
    private static void endQuietly(EventPipe events) {
        if (events != null) {
            try {
                events.end();
            } catch (IOException e) {
                // a cap was passed: that JVM's result is not reported anyway
            }
        }
    }

    /**
     * Runs {@code request} in {@code jvm}, killing it after {@code timeout}; its sandbox is closed and its directory
     * removed before this returns.
     */
    public Outcome finish(Prepared jvm, Wire.Request request, Duration timeout) {
        List<String> classes = List.of();
        Outcome outcome;
        jvm.used = true;
        try (jvm) {
            long t0 = System.nanoTime();
            try (OutputStream in = jvm.process.stdin()) {
                in.write(Json.line(request.toJson()));
            } catch (IOException e) {
                // It died while waiting: its exit status says how.
            }
            Optional<ExitStatus> ended = jvm.process.waitFor(timeout);
            ExitStatus status;
            if (ended.isPresent()) {
                status = ended.get();
            } else {
                jvm.sandbox.close();
                status = jvm.process.waitFor().withReason(ExitReason.TIMED_OUT);
            }
            Duration duration = Duration.ofNanos(System.nanoTime() - t0);
            jvm.sandbox.close();
            awaitOutput(jvm.output); // all it wrote is out before its result is reported, not under the next test
            List<JsonNode> events = jvm.events.end();
            if (jvm.cds.lists()) {
                classes = Cds.readList(jvm.dir);
            }
            outcome = new Outcome(jvm.process.command(), status, duration, jvm.peaks.keptOnly(jvm.sandbox.usage()), events,
                    jvm.spec, jvm.cds.description(), Wire.readCrashReport(jvm.dir), cpuAtStart(events));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        } finally {
            if (jvm.cds.lists()) {
                cds.create(classes); // also when empty: this run makes no other attempt
            }
        }
        return outcome;
    }

    /**
     * The CPU time the JVM reported in its first {@code received} event (its own, from {@code /proc}): what the test
     * did after it counts against a budget, its boot does not. Untrusted like every event: a figure above the
     * sandbox's own is cut to it where it is used.
     */
    static Optional<Duration> cpuAtStart(List<JsonNode> events) {
        return events.stream().filter(e -> e.path("type").asText().equals("received")).findFirst()
                .filter(e -> e.path("cpuNanos").canConvertToLong() && e.path("cpuNanos").asLong() >= 0)
                .map(e -> Duration.ofNanos(e.path("cpuNanos").asLong()));
    }

    /** Runs {@code request} in a JVM started for it now; see {@link #prepare} and {@link #finish}. */
    public Outcome run(SandboxSpec base, Wire.Request request, Duration timeout, Function<SandboxSpec, Sandbox> start) {
        return finish(prepare(base, start), request, timeout);
    }

    /** {@code base} plus the read-only binds the JVM needs and the shared directory. */
    SandboxSpec spec(SandboxSpec base, Path dir) {
        SandboxSpec.Builder b = base.toBuilder();
        for (String path : readOnlyPaths()) {
            b.mount(Mount.bind(path, path, true));
        }
        b.mount(Mount.bind(dir.toString(), Wire.DIR_INSIDE, false));
        return b.build();
    }

    /** The sandbox's own /tmp and /run: a host one bound over it would hide it (and the host's /run is kept out). */
    private static final List<Path> OWN = List.of(Path.of("/tmp"), Path.of("/run"));
    /** Kernel file systems the sandbox mounts itself: no mount point can be made in them. */
    private static final List<Path> KERNEL = List.of(Path.of("/proc"), Path.of("/dev"), Path.of("/sys"));

    /**
     * Why the JDK, the working directory or an entry of {@code classPath} cannot be bound at its own path in the
     * sandbox, if one cannot: it is {@code /}, {@code /tmp} or {@code /run} itself, or under {@code /proc}, {@code /dev}
     * or {@code /sys}. Paths below {@code /tmp} and {@code /run} are fine: bind sources are opened on the host's.
     */
    public static Optional<String> unreachable(List<String> classPath) {
        List<String> paths = new ArrayList<>(List.of(System.getProperty("java.home"), System.getProperty("user.dir")));
        paths.addAll(classPath);
        for (String entry : paths) {
            Path p = Path.of(entry).toAbsolutePath().normalize();
            if (p.getNameCount() == 0) {
                return Optional.of("'" + entry + "' is the root directory, which would hide the sandbox's own /tmp");
            }
            if (OWN.contains(p)) {
                return Optional.of("'" + entry + "' would hide the sandbox's own " + p);
            }
            for (Path kernel : KERNEL) {
                if (p.startsWith(kernel)) {
                    return Optional.of("'" + entry + "' is under " + kernel + ", which the sandbox mounts itself");
                }
            }
        }
        return Optional.empty();
    }

    /** The JDK, the working directory, the class path and the archive, without those already inside another. */
    private List<String> readOnlyPaths() {
        Set<Path> wanted = new LinkedHashSet<>();
        wanted.add(Path.of(System.getProperty("java.home")).toAbsolutePath().normalize());
        wanted.add(Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize());
        for (String entry : classPath) {
            Path p = Path.of(entry).toAbsolutePath().normalize();
            if (Files.exists(p)) {
                wanted.add(p);
            }
        }
        cds.archive().filter(Files::isRegularFile).ifPresent(wanted::add);
        List<Path> sorted = new ArrayList<>(wanted);
        sorted.sort(Comparator.comparingInt(Path::getNameCount));
        List<Path> kept = new ArrayList<>();
        for (Path p : sorted) {
            if (kept.stream().noneMatch(k -> Files.isDirectory(k) && p.startsWith(k))) {
                kept.add(p);
            }
        }
        return kept.stream().map(Path::toString).toList();
    }

    /** The command line; the class path is {@code -cp} there, or read from {@code argFile} (see {@link #writeArgFile}). */
    private List<String> command(SandboxSpec base, List<String> cdsOptions, Optional<String> argFile) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(options(base.limits().memoryMax(), cdsOptions));
        if (argFile.isPresent()) {
            argv.add("@" + argFile.get());
        } else {
            argv.add("-cp");
            argv.add(String.join(File.pathSeparator, classPath));
        }
        argv.add(CHILD_MAIN);
        argv.add(Wire.DIR_INSIDE);
        return argv;
    }

    /**
     * Writes {@code -cp CLASSPATH} as a {@code java} argument file: a single argument longer than 128 KiB (the kernel's
     * MAX_ARG_STRLEN) fails exec with E2BIG, and a large project's class path is that long. The path is quoted, with
     * backslashes, quotes and line ends escaped as the launcher reads them, in the encoding of file names.
     */
    static void writeArgFile(Path file, List<String> classPath) throws IOException {
        String joined = String.join(File.pathSeparator, classPath);
        StringBuilder quoted = new StringBuilder(joined.length() + 16).append("-cp \"");
        for (int i = 0; i < joined.length(); i++) {
            char c = joined.charAt(i);
            switch (c) {
                case '\\', '"' -> quoted.append('\\').append(c);
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                default -> quoted.append(c);
            }
        }
        quoted.append("\"\n");
        Files.write(file, quoted.toString().getBytes(fileNameCharset()));
    }

    /** How this JVM encodes file names (the launcher passes the argument file's bytes on as they are). */
    static Charset fileNameCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name()));
        } catch (IllegalArgumentException e) {
            return Charset.defaultCharset();
        }
    }

    /** The chosen JVM options, the parent's own system properties, the CDS ones, then the extra options. */
    List<String> options(OptionalLong memoryLimit, List<String> cdsOptions) {
        List<String> o = new ArrayList<>();
        o.add("-XX:+UseSerialGC");
        o.add("-XX:TieredStopAtLevel=1");
        o.add("-XX:CompileThresholdScaling=3");
        o.add("-Xshare:auto");
        o.add("-XX:-UsePerfData");
        o.add("--enable-native-access=ALL-UNNAMED"); // Java 22+ calls libc through FFM: no warning (17 accepts it)
        long heap = memoryLimit.isPresent() ? Math.max(8L << 20, memoryLimit.getAsLong() / 2) : DEFAULT_HEAP;
        o.add("-Xmx" + (heap >> 20) + "m");
        o.add("-Xss1m");
        o.add("-Djava.io.tmpdir=/tmp");
        o.add("-XX:ErrorFile=" + Wire.DIR_INSIDE + "/" + Wire.CRASH_REPORT); // a crash's report, for the failure
        o.add("-D" + Wire.CHILD_PROPERTY + "=true");
        // Output bytes as the parent's streams would write them.
        Charset out = Charset.defaultCharset();
        o.add("-Dfile.encoding=" + out.name());
        o.add("-Dstdout.encoding=" + System.getProperty("stdout.encoding", out.name()));
        o.add("-Dstderr.encoding=" + System.getProperty("stderr.encoding", out.name()));
        o.add("-Dsun.stdout.encoding=" + System.getProperty("sun.stdout.encoding", out.name()));
        o.add("-Dsun.stderr.encoding=" + System.getProperty("sun.stderr.encoding", out.name()));
        for (Map.Entry<Object, Object> e : System.getProperties().entrySet()) {
            String key = String.valueOf(e.getKey());
            if (OWN_PROPERTY_PREFIXES.stream().noneMatch(key::startsWith)) {
                o.add("-D" + key + "=" + e.getValue());
            }
        }
        o.addAll(forwardedOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        o.addAll(cdsOptions);
        o.addAll(extraOptions);
        return o;
    }

    /**
     * The {@code -Dname=value} options of the parent's command line ({@code inputArguments}, as the JVM reports them:
     * {@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS}, Surefire's {@code argLine} included) whose properties the
     * parent's own are not passed on for ({@code user.timezone}, {@code user.language}, {@code file.encoding},
     * {@code java.util.logging.config.file}...): the user chose them for the tests. Those that describe the parent
     * JVM, its launcher or its user ({@link #NOT_FORWARDED}) are left out; the other properties reach the child with
     * their current value anyway.
     */
    static List<String> forwardedOptions(List<String> inputArguments) {
        List<String> out = new ArrayList<>();
        for (String arg : inputArguments) {
            if (!arg.startsWith("-D") || arg.length() == 2) {
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            boolean own = OWN_PROPERTY_PREFIXES.stream().anyMatch(name::startsWith);
            boolean denied = NOT_FORWARDED.stream().anyMatch(d -> d.endsWith(".") ? name.startsWith(d) : name.equals(d));
            if (own && !denied && !name.isEmpty()) {
                out.add(arg);
            }
        }
        return out;
    }

    /**
     * The variables of the parent's environment {@code env} the child gets besides the sandbox's own: {@code LANG},
     * {@code LANGUAGE}, {@code LC_*} and {@code TZ}, so that its default locale, time zone and the encoding of file
     * names ({@code sun.jnu.encoding}, which only the locale sets) are the parent's. Sorted by name.
     */
    static Map<String, String> forwardedEnvironment(Map<String, String> env) {
        Map<String, String> out = new TreeMap<>();
        env.forEach((name, value) -> {
            if (FORWARDED_ENV.matcher(name).matches() && value.indexOf('\0') < 0) {
                out.put(name, value);
            }
        });
        return out;
    }

    /**
     * The child's class path: the parent's (class path and module path, the latter run on the class path there), then
     * where {@code anchors} came from (the launcher, the engine and the test class may come from a class loader the
     * parent's {@code java.class.path} does not show, as under Surefire's isolated class loader).
     */
    public static List<String> classPath(List<Class<?>> anchors) {
        Set<String> entries = new LinkedHashSet<>();
        for (String property : List.of("java.class.path", "jdk.module.path")) {
            String value = System.getProperty(property, "");
            Stream.of(value.split(File.pathSeparator)).filter(s -> !s.isBlank()).forEach(entries::add);
        }
        for (Class<?> anchor : anchors) {
            location(anchor).ifPresent(entries::add);
        }
        return List.copyOf(entries);
    }

    private static Optional<String> location(Class<?> type) {
        try {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null || !"file".equals(source.getLocation().getProtocol())) {
                return Optional.empty();
            }
            return Optional.of(Path.of(source.getLocation().toURI()).toString());
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
