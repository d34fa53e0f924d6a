package dev.sandboxed.junit.internal.hermetic;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * Runs one test method in a fresh JVM inside a sandbox: binds what that JVM needs read-only (the JDK, the test class
 * path, the working directory) and a private shared directory writable, starts {@code java} with deliberately chosen
 * options, streams its output, and collects its events and the sandbox's final usage.
 *
 * <p>JVM options, and why: {@code -XX:+UseSerialGC} (one GC thread, the smallest footprint for one test),
 * {@code -XX:TieredStopAtLevel=1} (C1 only: a single test rarely runs long enough for C2 to pay off),
 * {@code -Xshare:auto} (the JDK's class-data archive), {@code -XX:-UsePerfData} (no hsperfdata file), a heap of half
 * the memory limit (so that a heap overflow is an {@code OutOfMemoryError} in the test and the rest of the limit is
 * left to metaspace, code, threads and direct buffers) or 256 MiB without one; the parent's {@code -Xmx} and other
 * options are not copied (they were chosen for a JVM that runs a whole suite). {@code extraOptions} come last, so
 * they win. The child's {@code java.io.tmpdir} is the sandbox's private {@code /tmp}.
 */
public final class JvmRun {
    static final long DEFAULT_HEAP = 256L << 20;
    private static final String CHILD_MAIN = ChildMain.class.getName();
    /** System properties of the parent that describe that JVM, its user or its launcher: never passed on. */
    private static final List<String> OWN_PROPERTY_PREFIXES = List.of("java.", "jdk.", "sun.", "os.", "user.", "file.",
            "line.separator", "path.separator", "native.encoding", "stdout.encoding", "stderr.encoding", "surefire.",
            "awt.", "jnr.", "idea.", "intellij.", "maven.", "basedir", Wire.CHILD_PROPERTY);

    private final List<String> classPath;
    private final List<String> extraOptions;
    private final Optional<Duration> timeout;
    private final OutputStream stdout;
    private final OutputStream stderr;

    /**
     * @param classPath    the child's class path (see {@link #classPath})
     * @param extraOptions JVM options appended after the chosen ones
     * @param timeout      how long the child may run before it is killed
     */
    public JvmRun(List<String> classPath, List<String> extraOptions, Optional<Duration> timeout, OutputStream stdout,
                  OutputStream stderr) {
        this.classPath = List.copyOf(classPath);
        this.extraOptions = List.copyOf(extraOptions);
        this.timeout = timeout;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** What came back: how the JVM ended, its sandbox's final usage and the events it reported. */
    public record Outcome(ExecResult result, ResourceUsage usage, List<JsonNode> events, SandboxSpec spec) {
    }

    /**
     * Runs {@code request} in a sandbox made from {@code base} by {@code start}; the sandbox is closed and the shared
     * directory removed before this returns.
     */
    public Outcome run(SandboxSpec base, Wire.Request request, Function<SandboxSpec, Sandbox> start) {
        Path dir;
        try {
            dir = Files.createTempDirectory("sandboxed-jvm-");
        } catch (IOException e) {
            throw new UncheckedIOException("create the sandboxed JVM's directory", e);
        }
        try {
            Wire.writeRequest(dir, request);
            SandboxSpec spec = spec(base, dir);
            ProcessSpec process = process(spec, request);
            ExecResult result;
            Sandbox sandbox = start.apply(spec);
            try {
                result = sandbox.exec(process);
            } finally {
                sandbox.close();
            }
            return new Outcome(result, sandbox.usage(), Wire.readEvents(dir), spec);
        } catch (IOException e) {
            throw new UncheckedIOException("talk to the sandboxed JVM through " + dir, e);
        } finally {
            delete(dir);
        }
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

    /** The JDK, the working directory and the class path, without those already inside another. */
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

    private ProcessSpec process(SandboxSpec spec, Wire.Request request) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(options(spec.limits().memoryMax()));
        argv.add("-cp");
        argv.add(String.join(File.pathSeparator, classPath));
        argv.add(CHILD_MAIN);
        argv.add(Wire.DIR_INSIDE);
        argv.add(request.className());
        argv.add(request.methodName() + "(" + request.parameterTypes() + ")");
        ProcessSpec.Builder p = ProcessSpec.builder(argv)
                .workdir(Path.of(System.getProperty("user.dir")).toAbsolutePath().toString())
                .stdout(Stdio.to(stdout)).stderr(Stdio.to(stderr));
        timeout.ifPresent(p::timeout);
        return p.build();
    }

    /** The chosen JVM options, the parent's own system properties, then the extra options; see the class comment. */
    List<String> options(OptionalLong memoryLimit) {
        List<String> o = new ArrayList<>();
        o.add("-XX:+UseSerialGC");
        o.add("-XX:TieredStopAtLevel=1");
        o.add("-Xshare:auto");
        o.add("-XX:-UsePerfData");
        long heap = memoryLimit.isPresent() ? Math.max(8L << 20, memoryLimit.getAsLong() / 2) : DEFAULT_HEAP;
        o.add("-Xmx" + (heap >> 20) + "m");
        o.add("-Xss1m");
        o.add("-Djava.io.tmpdir=/tmp");
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
        o.addAll(extraOptions);
        return o;
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

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }
}
