package dev.sandboxed.junit.internal.hermetic;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Application class-data sharing for sandboxed JVMs: an archive of the classes they load from the jars of their class
 * path (and the JDK's), made once per JDK and jar list and mapped by every later sandboxed JVM.
 *
 * <p>JDK 17 refuses a non-empty directory on the class path when it dumps an archive, and a JVM uses an archive when
 * its class path starts with the archive's. So the child's class path is the jars first, then the directories (a
 * class in both then comes from the jar), and the archive is of the jars only. The first sandboxed JVM of a run with
 * no archive yet lists the classes it loads ({@code -XX:DumpLoadedClassList}, into its shared directory); after its
 * test this JVM dumps the archive on a thread of its own, off the tests' path ({@code -Xshare:dump}: classes are
 * loaded and linked, none initialized, so no test code runs; JVMs started meanwhile run without it; {@link #close}
 * waits for it at the end of the run) from the class names in that list, which the sandbox could have written, so only names are kept (and
 * the lambda classes and method handle forms it names, each line checked whole, see {@link #readList}), into a
 * temporary file renamed into place: parallel forks each make a whole one. The archive is bound read-only into later
 * sandboxes: a test cannot change what the next JVM maps (JDK 19's {@code -XX:+AutoCreateSharedArchive} would need it
 * writable there, so it is not used). A missing, stale or damaged archive costs only the speed: the JVM runs without
 * it ({@code -Xshare:auto}, its CDS log off), and a failed dump is logged, not thrown.
 */
public final class Cds implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Cds.class.getName());
    private static final String LIST = "classes.lst";
    private static final long MAX_LIST_BYTES = 16L << 20;
    private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z0-9_$/]{1,1000}");
    private static final String NAME = "[A-Za-z0-9_$/]{1,1000}";
    private static final String METHOD = "[A-Za-z0-9_$<>]{1,1000}";
    private static final String TYPE = "\\([A-Za-z0-9_$/;\\[]{0,4000}\\)[A-Za-z0-9_$/;\\[]{1,1000}";
    /**
     * A lambda's class made at dump time: host class, interface method, the call site's, erased and instantiated
     * types, the implementation's kind, class, name and type. The dump resolves that call site of the host class (a
     * class path or JDK class) only if its bootstrap is the JDK's LambdaMetafactory: no class is initialized.
     */
    private static final Pattern LAMBDA_PROXY = Pattern.compile("@lambda-proxy " + NAME + " " + METHOD + " " + TYPE + " "
            + TYPE + " REF_[A-Za-z]{1,20} " + NAME + " " + METHOD + " " + TYPE + " " + TYPE);
    /** A method handle form or species the JDK's holder classes are regenerated with at dump time. */
    private static final Pattern LAMBDA_FORM = Pattern.compile("@lambda-form-invoker \\[(LF_RESOLVE|SPECIES_RESOLVE)\\] "
            + "[A-Za-z0-9_$.]{1,1000}( [A-Za-z0-9_$]{1,1000}){0,2}");
    private static final long DUMP_TIMEOUT_SECONDS = 120;
    /** How long an archive is kept that no dump renewed: see {@link #prune}. */
    static final Duration KEEP = Duration.ofDays(1);
    private static final Pattern OURS = Pattern.compile("sandboxed-jvm-[0-9a-f]{20}\\.jsa(\\.[0-9]+-[0-9a-f]+\\.(lst|log|tmp|args))?");

    private final List<String> jars;
    private final List<String> rest;
    private final Path archive;
    private boolean listing;
    private boolean failed;
    /** Whether this run marked the archive used (its time), which keeps it from {@link #prune}. */
    private boolean touched;
    /** The dump under way, if one is. */
    private Thread dumping;
    private boolean closed;

    private Cds(List<String> jars, List<String> rest, Path archive) {
        this.jars = jars;
        this.rest = rest;
        this.archive = archive;
    }

    /** No archive: the class path as given. */
    public static Cds off(List<String> classPath) {
        return new Cds(List.of(), List.copyOf(classPath), null);
    }

    /** An archive in {@code dir} for {@code classPath}'s jars and this JDK; off when the class path has no jar. */
    public static Cds in(Path dir, List<String> classPath) {
        List<String> jars = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (String entry : classPath) {
            (Files.isRegularFile(Path.of(entry)) ? jars : rest).add(entry);
        }
        Optional<String> key = jars.isEmpty() ? Optional.empty() : key(jars);
        if (key.isEmpty()) {
            return off(classPath);
        }
        return new Cds(List.copyOf(jars), List.copyOf(rest), dir.toAbsolutePath().normalize()
                .resolve("sandboxed-jvm-" + key.get() + ".jsa"));
    }

    /** The child's class path: the jars first, then the rest, each in their order (as given when off). */
    public List<String> classPath() {
        List<String> all = new ArrayList<>(jars);
        all.addAll(rest);
        return all;
    }

    /** The archive file, whether it exists yet or not; empty when off. */
    public Optional<Path> archive() {
        return Optional.ofNullable(archive);
    }

    /** What a JVM started now does: maps the archive, lists its classes for one, or neither. */
    public record Use(List<String> options, boolean lists, String description) {
        static final Use NONE = new Use(List.of(), false, "none");
    }

    /** The options for a JVM started now; the first one while there is no archive lists its classes. */
    public synchronized Use next() {
        if (archive == null) {
            return new Use(List.of(), false, "off");
        }
        if (Files.isRegularFile(archive)) {
            if (!touched) {
                touched = true;
                try {
                    Files.setLastModifiedTime(archive, FileTime.fromMillis(System.currentTimeMillis()));
                } catch (IOException | RuntimeException e) {
                    // another user's: it is pruned by its age
                }
            }
            return new Use(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off"), false, archive.toString());
        }
        if (listing || failed) {
            return Use.NONE;
        }
        listing = true;
        return new Use(List.of("-XX:DumpLoadedClassList=" + Wire.DIR_INSIDE + "/" + LIST), true,
                "none yet: this JVM lists its classes for " + archive);
    }

    /**
     * The class names a listing JVM wrote in its shared directory {@code dir}, read as untrusted: names only, and the
     * lambda classes and method handle forms it used, lines that match their pattern whole (archived, they spare each
     * JVM spinning some 600 classes at boot). They name only JDK and class path code; a name that is not there makes the
     * dump skip it or fail, which costs only the speed.
     */
    static List<String> readList(Path dir) {
        Set<String> names = new LinkedHashSet<>();
        Optional<byte[]> bytes = Wire.readUntrusted(dir.resolve(LIST), (int) MAX_LIST_BYTES);
        if (bytes.isEmpty()) {
            return List.of();
        }
        try {
            for (String line : new String(bytes.get(), StandardCharsets.UTF_8).split("\n")) {
                String name = line.split(" ", 2)[0];
                if (CLASS_NAME.matcher(name).matches()) {
                    names.add(name);
                } else if (LAMBDA_PROXY.matcher(line).matches() || LAMBDA_FORM.matcher(line).matches()) {
                    names.add(line);
                }
            }
        } catch (RuntimeException e) {
            return List.of();
        }
        return List.copyOf(names);
    }

    /**
     * The JVM that was to list its classes ended without a test (closed unused, or its start failed): a JVM started
     * later lists instead, or no archive would be made for the rest of the run.
     */
    public synchronized void abandonListing() {
        listing = false;
    }

    /**
     * Dumps the archive from {@code classes} (see {@link #readList}) on a thread of its own, off the test's path (a
     * dump takes seconds, which a test's timeout would otherwise count): JVMs started meanwhile run without an archive,
     * those started after it was made map it. Only logs a failure, then makes no more. {@link #close} waits for it.
     */
    public void create(List<String> classes) {
        synchronized (this) {
            if (!classes.isEmpty() && !closed) {
                dumping = new Thread(() -> finishDump(classes), "sandboxed-cds-dump");
                dumping.start();
                return;
            }
            listing = false;
            failed = true;
        }
    }

    private void finishDump(List<String> classes) {
        boolean made = false;
        try {
            made = dump(classes);
        } finally {
            synchronized (this) {
                listing = false;
                failed = !made;
                dumping = null;
            }
        }
    }

    /**
     * Waits for a dump under way (bounded by its own timeout of {@value #DUMP_TIMEOUT_SECONDS} s) so that it ends
     * with the run, its archive whole; makes no more.
     */
    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            closed = true;
            running = dumping;
        }
        if (running != null) {
            try {
                running.join();
            } catch (InterruptedException e) {
                // the dump still ends within its timeout and removes its files
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean dump(List<String> classes) {
        Path dir = archive.getParent();
        String unique = ProcessHandle.current().pid() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        Path list = dir.resolve(archive.getFileName() + "." + unique + ".lst");
        Path log = dir.resolve(archive.getFileName() + "." + unique + ".log");
        Path temp = dir.resolve(archive.getFileName() + "." + unique + ".tmp");
        Path args = dir.resolve(archive.getFileName() + "." + unique + ".args");
        Process p = null;
        try {
            Files.createDirectories(dir);
            Files.write(list, classes, StandardCharsets.UTF_8);
            JvmRun.writeArgFile(args, jars); // the class path as the sandboxed JVMs get it: maybe over 128 KiB
            p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:dump",
                    "-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + temp, "@" + args)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(DUMP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.INFO, "sandboxed JVMs: the class-data archive " + archive + " was not made "
                        + "within " + DUMP_TIMEOUT_SECONDS + " s; they run without one");
                return false;
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(temp)) {
                LOG.log(System.Logger.Level.INFO, "sandboxed JVMs: making the class-data archive " + archive + " failed "
                        + "(exit " + p.exitValue() + "); they run without one: " + tail(log));
                return false;
            }
            Files.move(temp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            prune(dir);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "sandboxed JVMs: the class-data archive " + archive + " was not made; they run "
                    + "without one: " + e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (Path leftover : List.of(list, log, temp, args)) {
                try {
                    Files.deleteIfExists(leftover);
                } catch (IOException e) {
                    // best effort: a file of our own
                }
            }
        }
    }

    /**
     * Removes archives not used for {@link #KEEP} (and files a killed dump left): a rebuilt jar makes a new archive,
     * and the old ones would pile up. One still mapped stays readable; one still wanted is made again.
     */
    private void prune(Path dir) {
        long cutoff = System.currentTimeMillis() - KEEP.toMillis();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                try {
                    if (!f.equals(archive) && OURS.matcher(f.getFileName().toString()).matches()
                            && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                            && Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException e) {
                    // another fork removed it, or it is not ours to remove
                }
            }
        } catch (IOException | RuntimeException e) {
            // pruning is best effort
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no output)";
        }
    }

    /** Names the JDK and the jars, each with its size and time: a jar rebuilt or another JDK is another archive. */
    private static Optional<String> key(List<String> jars) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            StringBuilder text = new StringBuilder("1\n").append(System.getProperty("java.home")).append('\n')
                    .append(System.getProperty("java.vm.version")).append('\n');
            for (String jar : jars) {
                Path p = Path.of(jar);
                text.append(p.toAbsolutePath()).append('\t').append(Files.size(p)).append('\t')
                        .append(Files.getLastModifiedTime(p).toMillis()).append('\n');
            }
            return Optional.of(HexFormat.of().formatHex(sha.digest(text.toString().getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 20));
        } catch (NoSuchAlgorithmException | IOException | RuntimeException e) {
            return Optional.empty(); // a jar gone meanwhile: no archive, the class path as it is
        }
    }
}
