package dev.sandboxed.junit.internal.hermetic;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectUniqueId;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.reporting.FileEntry;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.ClasspathResourceSource;
import org.junit.platform.engine.support.descriptor.FilePosition;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.engine.support.descriptor.UriSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The sandboxed JVM's main: runs exactly one test, selected by its unique id in the parent, with the JUnit Platform
 * Launcher and reports to the parent through {@link Wire}. Argument: the shared directory. It boots, then reads the
 * test to run from its stdin. An invocation of a test template or a dynamic test is identified by its position
 * ({@code #2}): the child finds it by running the argument source or factory again, and fails it when its display
 * name differs from the parent's (the source gave other invocations here: not deterministic).
 */
public final class ChildMain {
    /** Set while the child lists a test factory's dynamic tests: the extension skips them, see {@link #listing()}. */
    private static volatile boolean listing;
    /** JUnit's output directory (5.12+), for files the test publishes. */
    private static final String OUTPUT_DIR = "junit.platform.reporting.output.dir";

    private ChildMain() {
    }

    /** Whether this JVM lists a test factory's dynamic tests, whose executables must then not run. */
    public static boolean listing() {
        return listing;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Wire.EventWriter events = new Wire.EventWriter(dir);
        AtomicBoolean finished = new AtomicBoolean();
        // A System.exit before the result: say where it was called, which only this JVM can see.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!finished.get()) {
                ObjectNode exit = Wire.event("exit");
                exiting().ifPresent(frames -> exit.set("frames", frames));
                events.write(exit);
            }
        }, "sandboxed-jvm-exit"));
        // Boot before the test is known (this JVM may be started ahead): the launcher finds its engines, the JSON writer
        // loads, and a test of its own runs on a launcher without the class path's listeners, which must not see it.
        Launcher launcher = LauncherFactory.create();
        LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false)
                .enableLauncherSessionListenerAutoRegistration(false).enablePostDiscoveryFilterAutoRegistration(false)
                .enableLauncherDiscoveryListenerAutoRegistration(false).build())
                .execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Warmup.class)).build());
        Json.line(ThrowableCodec.encode(new IllegalStateException("boot")));
        Path output = outputDirectory();
        Wire.Request request = Wire.readRequest(System.in);
        // What this JVM used to boot, which a budget's CPU time leaves out (tick-grained; -1 where /proc says nothing).
        events.write(Wire.event("received").put("cpuNanos",
                ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L)));
        LauncherDiscoveryRequest discovery = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectUniqueId(request.uniqueId()))
                .configurationParameters(request.configuration())
                // Files the test publishes go inside the sandbox, not to the parent's directory: they are sent as events.
                .configurationParameter(OUTPUT_DIR, output.toString())
                .build();
        listing = request.list();
        Listener listener = listing ? new ListingListener(events, request.uniqueId(), request.positional())
                : new Listener(events, request.positional());
        launcher.execute(discovery, listener);
        if (!listener.reported) {
            // The class itself failed (a @BeforeAll, its discovery) or the test was not found.
            Throwable failure = listener.containerFailure != null ? listener.containerFailure
                    : new IllegalStateException("no test " + request.uniqueId() + " was found in the sandboxed JVM: "
                            + "its tests differ from the test JVM's (an argument source or test factory that is not "
                            + "deterministic?)");
            events.write(Wire.event("finished").put("status", "FAILED").set("throwable", ThrowableCodec.encode(failure)));
        }
        finished.set(true);
        System.out.flush();
        System.err.flush();
        System.exit(0); // threads the test left running must not keep this JVM alive
    }

    /**
     * Where the test's published files go: a fixed name in this sandbox's own temp directory, its owner's only as a
     * temp directory is, made before the request so that no random name is drawn (its SecureRandom costs a booting
     * JVM some 10 ms of CPU time); a random one if a mount took that name.
     */
    private static Path outputDirectory() throws IOException {
        try {
            return Files.createDirectory(Path.of(System.getProperty("java.io.tmpdir"), "sandboxed-junit-output"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            return Files.createTempDirectory("sandboxed-junit-output");
        }
    }

    /** The frames of the thread that called System.exit (or Runtime.exit), from its caller on. */
    private static Optional<ArrayNode> exiting() {
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            StackTraceElement[] frames = e.getValue();
            for (int i = 0; i < frames.length; i++) {
                if (frames[i].getClassName().equals("java.lang.System") && frames[i].getMethodName().equals("exit")
                        || frames[i].getClassName().equals("java.lang.Runtime") && frames[i].getMethodName().equals("exit")
                        && (i + 1 >= frames.length || !frames[i + 1].getClassName().equals("java.lang.System"))) {
                    Throwable t = new Throwable();
                    t.setStackTrace(java.util.Arrays.copyOfRange(frames, i, frames.length));
                    return Optional.of((ArrayNode) ThrowableCodec.encode(t).get("frames"));
                }
            }
        }
        return Optional.empty();
    }

    /** A dynamic node's source as the URI a {@code DynamicTest} takes, which Jupiter turns back into the same source. */
    static Optional<String> sourceUri(TestSource source) {
        if (source instanceof UriSource u) {
            return Optional.of(u.getUri().toString());
        }
        if (source instanceof MethodSource m) {
            return Optional.of("method:" + m.getClassName() + "#" + m.getMethodName() + "(" + m.getMethodParameterTypes() + ")");
        }
        if (source instanceof ClassSource c) {
            return Optional.of("class:" + c.getClassName() + c.getPosition().map(ChildMain::query).orElse(""));
        }
        if (source instanceof ClasspathResourceSource r) {
            return Optional.of("classpath:/" + r.getClasspathResourceName() + r.getPosition().map(ChildMain::query).orElse(""));
        }
        return Optional.empty();
    }

    private static String query(FilePosition p) {
        return "?line=" + p.getLine() + p.getColumn().map(c -> "&column=" + c).orElse("");
    }

    /** Run while booting, so the engine's execution path is loaded (and compiled) before the test arrives. */
    static final class Warmup {
        @Test
        void warmup() {
        }
    }

    /** Reports a factory's dynamic tests (not run) and then the factory's own result. */
    private static final class ListingListener extends Listener {
        private final String factoryId;

        ListingListener(Wire.EventWriter events, String factoryId, Map<String, String> expectedNames) {
            super(events, expectedNames);
            this.factoryId = factoryId;
        }

        @Override
        public void dynamicTestRegistered(TestIdentifier id) {
            ObjectNode e = Wire.event("dynamic").put("uniqueId", id.getUniqueId()).put("displayName", id.getDisplayName())
                    .put("container", id.isContainer());
            e.put("parentId", id.getParentId().orElse(""));
            id.getSource().flatMap(ChildMain::sourceUri).ifPresent(uri -> e.put("source", uri));
            events.write(e);
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            compareName(id);
            if (id.getUniqueId().equals(factoryId)) {
                events.write(Wire.event("started"));
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.getUniqueId().equals(factoryId)) {
                finish(result);
            } else if (!id.getUniqueId().startsWith(factoryId)) {
                super.executionFinished(id, result);
            }
        }
    }

    private static class Listener implements TestExecutionListener {
        final Wire.EventWriter events;
        private final PublishedFiles.Budget files = new PublishedFiles.Budget();
        volatile boolean reported;
        volatile Throwable containerFailure;
        /** The display names, by unique id, of the nodes found by position in the parent, to compare. */
        private final Map<String, String> expectedNames;
        private volatile String mismatch;

        Listener(Wire.EventWriter events, Map<String, String> expectedNames) {
            this.events = events;
            this.expectedNames = expectedNames;
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            compareName(id);
            if (id.isTest()) {
                events.write(Wire.event("started"));
            }
        }

        /** Notes the first node found by position whose display name differs from the parent's but for identity hashes. */
        void compareName(TestIdentifier id) {
            String expected = expectedNames.get(id.getUniqueId());
            if (expected == null || mismatch != null
                    || Invocations.sameName(expected, id.getDisplayName(), ChildMain.class.getClassLoader())) {
                return;
            }
            UniqueId.Segment last = UniqueId.parse(id.getUniqueId()).getLastSegment();
            mismatch = "the sandboxed JVM's " + last.getType() + " " + last.getValue() + " is '" + id.getDisplayName()
                    + "' but the test JVM's is '" + expected + "': argument sources and test factories of jvm = true tests "
                    + "must give the same tests in both JVMs; not deterministic ones (random values, the time, the host's "
                    + "state) are refused";
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            if (!reported) {
                reported = true;
                events.write(Wire.event("skipped").put("reason", reason));
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.isTest()) {
                finish(result);
            } else if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL && containerFailure == null) {
                containerFailure = result.getThrowable().orElse(null);
            }
        }

        void finish(TestExecutionResult result) {
            reported = true;
            ObjectNode e = Wire.event("finished");
            if (mismatch != null) {
                e.put("status", "FAILED").set("throwable", ThrowableCodec.encode(new IllegalStateException(mismatch)));
            } else {
                e.put("status", result.getStatus().name());
                result.getThrowable().ifPresent(t -> e.set("throwable", ThrowableCodec.encode(t)));
            }
            events.write(e);
        }

        @Override
        public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
            ObjectNode e = Wire.event("entry");
            ObjectNode entries = e.putObject("entries");
            entry.getKeyValuePairs().forEach(entries::put);
            events.write(e);
        }

        /** A file or directory the test published (JUnit 5.12+; older ones never call this): its bytes go along. */
        @Override
        public void fileEntryPublished(TestIdentifier id, FileEntry file) {
            try {
                events.write(PublishedFiles.event(file.getPath(), file.getMediaType(), files));
            } catch (OutOfMemoryError e) {
                // A file of up to 16 MiB takes several times that on the heap while it is sent: a small heap cannot.
                events.write(PublishedFiles.unsent(file.getPath(), e));
            }
        }
    }
}
