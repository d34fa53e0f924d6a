package dev.sandboxed.junit.internal.hermetic;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Files and directories a test publishes in the sandboxed JVM ({@code TestReporter.publishFile},
 * {@code publishDirectory}), carried to the test JVM in a {@code file} event so they are published there again:
 * {@code name}, {@code mediaType} (a file's, if it has one), {@code directory}, {@code data} (a file's bytes, base64)
 * or {@code entries} (a directory's: {@code path} relative to it, {@code data} or {@code directory}), and
 * {@code problems}: what was left out and why. The sandbox's files are untrusted: no link is followed, only regular
 * files and directories are read, at most {@link #MAX_FILE_BYTES} a file or a directory's files together (an event is
 * one line, which the test JVM caps: see {@link EventPipe}) and {@link #MAX_TOTAL_BYTES} for all a test publishes;
 * the test JVM checks names, paths and sizes again.
 */
public final class PublishedFiles {
    /** The most one published file, or one published directory's files together, may be. */
    public static final int MAX_FILE_BYTES = 16 << 20;
    /** The most all files one test publishes may be (in base64 they stay below the events' total limit). */
    public static final int MAX_TOTAL_BYTES = 32 << 20;
    /** The most entries and the deepest nesting of one published directory. */
    static final int MAX_ENTRIES = 10_000;
    static final int MAX_DEPTH = 32;
    /** The most problems of one event the test JVM reports. */
    static final int MAX_PROBLEMS = 100;

    private PublishedFiles() {
    }

    /**
     * What may still be carried, for one test: in the sandboxed JVM and again in the test JVM. A directory's files
     * travel in one event together, so they share a budget of one file's size (see {@link #directory}) within it.
     */
    public static final class Budget {
        private final long limit;
        private final String scope;
        private final Budget outer;
        private long left;

        public Budget() {
            this(MAX_TOTAL_BYTES, "the files published by the test", null);
        }

        private Budget(long limit, String scope, Budget outer) {
            this.limit = limit;
            this.scope = scope;
            this.outer = outer;
            this.left = limit;
        }

        /** The share of the published directory {@code name}: at most a file's size, and within this budget. */
        Budget directory(String name) {
            return new Budget(MAX_FILE_BYTES, "directory " + name, this);
        }

        /** Takes {@code bytes} if they fit, else says why not (null when they fit). */
        synchronized String take(String what, long bytes) {
            String problem = check(what, bytes);
            if (problem == null) {
                left -= bytes;
                if (outer != null) {
                    outer.take(what, bytes);
                }
            }
            return problem;
        }

        /** Why {@code bytes} would not fit, or null. */
        synchronized String check(String what, long bytes) {
            if (bytes > MAX_FILE_BYTES) {
                return what + " is " + mib(bytes) + ": larger than the " + mib(MAX_FILE_BYTES)
                        + " a published file may be; not forwarded";
            }
            if (bytes > left) {
                return what + " (" + mib(bytes) + ") would bring " + scope + " over " + mib(limit) + "; not forwarded";
            }
            return outer == null ? null : outer.check(what, bytes);
        }
    }

    /** A published file or directory as the test JVM publishes it again. */
    public record Published(String name, Optional<String> mediaType, boolean directory, List<Entry> entries,
                            List<String> problems) {
        /** Whether there is something to publish: a directory, or a file with its bytes. */
        public boolean forwarded() {
            return directory || !entries.isEmpty();
        }
    }

    /** A file's bytes ({@code path} empty for a published file itself) or, with null bytes, a directory. */
    public record Entry(String path, byte[] bytes) {
    }

    /** The sandboxed JVM's side: the event for the file or directory at {@code path}, read within {@code budget}. */
    static ObjectNode event(Path path, Optional<String> mediaType, Budget budget) {
        String name = String.valueOf(path.getFileName());
        ObjectNode e = Wire.event("file").put("name", name);
        mediaType.ifPresent(m -> e.put("mediaType", m));
        ArrayNode problems = e.putArray("problems");
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory()) {
                e.put("directory", true);
                directory(path, e.putArray("entries"), problems, budget.directory(name));
            } else {
                e.put("directory", false);
                byte[] bytes = read(name, path, a, problems, budget);
                if (bytes != null) {
                    e.put("data", Base64.getEncoder().encodeToString(bytes));
                }
            }
        } catch (IOException | RuntimeException x) {
            problems.add(name + " could not be read in the sandboxed JVM (" + x + "); not forwarded");
        }
        return e;
    }

    /** The event for a file or directory that could not be sent, saying why. */
    static ObjectNode unsent(Path path, Throwable why) {
        String name = String.valueOf(path.getFileName());
        ObjectNode e = Wire.event("file").put("name", name).put("directory", false);
        e.putArray("problems").add(name + " could not be sent from the sandboxed JVM (" + why + "); not forwarded");
        return e;
    }

    /** A regular file's bytes within the budget; else null and the problem said. */
    private static byte[] read(String what, Path file, BasicFileAttributes a, ArrayNode problems, Budget budget)
            throws IOException {
        if (a.isSymbolicLink()) {
            problems.add(what + " is a symbolic link in the sandboxed JVM: not followed, not forwarded");
            return null;
        }
        if (!a.isRegularFile()) {
            problems.add(what + " is not a regular file in the sandboxed JVM; not forwarded");
            return null;
        }
        String problem = budget.check(what, a.size());
        if (problem != null) {
            problems.add(problem);
            return null;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        // What was read counts, not the size seen before: the file may have grown in between.
        problem = budget.take(what, bytes.length);
        if (problem != null) {
            problems.add(problem);
            return null;
        }
        return bytes;
    }

    private static void directory(Path root, ArrayNode entries, ArrayNode problems, Budget budget) throws IOException {
        String name = String.valueOf(root.getFileName());
        Files.walkFileTree(root, Set.of(), MAX_DEPTH, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(root) && add(dir, attrs)) {
                    entries.addObject().put("path", relative(dir)).put("directory", true);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isDirectory()) {
                    problems.add(name + "/" + relative(file) + " is nested deeper than " + MAX_DEPTH + "; not forwarded");
                } else if (add(file, attrs)) {
                    byte[] bytes = read(name + "/" + relative(file), file, attrs, problems, budget);
                    if (bytes != null) {
                        entries.addObject().put("path", relative(file)).put("data", Base64.getEncoder().encodeToString(bytes));
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                problems.add(name + "/" + relative(file) + " could not be read in the sandboxed JVM (" + e + "); not forwarded");
                return FileVisitResult.CONTINUE;
            }

            private boolean add(Path p, BasicFileAttributes attrs) {
                if (entries.size() < MAX_ENTRIES) {
                    return true;
                }
                problems.add(name + "/" + relative(p) + " is beyond the " + MAX_ENTRIES + " entries a published directory "
                        + "may have; not forwarded");
                return false;
            }

            private String relative(Path p) {
                return root.relativize(p).toString();
            }
        });
    }

    /**
     * The test JVM's side: the event's file or directory, its names, paths and sizes checked again (the sandboxed JVM
     * is untrusted). Throws IllegalArgumentException, with a message to report, for an event that cannot be one.
     */
    public static Published decode(JsonNode event, Budget budget) {
        String name = event.path("name").asText("");
        if (!segment(name)) {
            throw new IllegalArgumentException("a file published in the sandboxed JVM has the name '" + printable(name)
                    + "', which is not a file name; not forwarded");
        }
        List<String> problems = new ArrayList<>();
        for (JsonNode p : event.path("problems")) {
            if (problems.size() == MAX_PROBLEMS) {
                problems.add("more of " + name + " was not forwarded");
                break;
            }
            problems.add(printable(p.asText(), 1000));
        }
        Optional<String> mediaType = event.hasNonNull("mediaType") ? Optional.of(event.get("mediaType").asText())
                : Optional.empty();
        boolean directory = event.path("directory").asBoolean(false);
        List<Entry> entries = new ArrayList<>();
        if (!directory) {
            bytes(name, event.get("data"), budget, problems).ifPresent(b -> entries.add(new Entry("", b)));
            return new Published(name, mediaType, false, entries, problems);
        }
        Budget share = budget.directory(name);
        for (JsonNode e : event.path("entries")) {
            String path = e.path("path").asText("");
            if (entries.size() >= MAX_ENTRIES || !relativePath(path)) {
                problems.add(name + "/" + printable(path) + " is not a path inside the directory or beyond its "
                        + MAX_ENTRIES + " entries; not forwarded");
            } else if (e.path("directory").asBoolean(false)) {
                entries.add(new Entry(path, null));
            } else {
                bytes(name + "/" + path, e.get("data"), share, problems).ifPresent(b -> entries.add(new Entry(path, b)));
            }
        }
        return new Published(name, Optional.empty(), true, entries, problems);
    }

    private static Optional<byte[]> bytes(String what, JsonNode data, Budget budget, List<String> problems) {
        if (data == null || !data.isTextual()) {
            return Optional.empty(); // the sandboxed JVM said why in its problems
        }
        String text = data.asText();
        // Checked before decoding: base64 is 4 characters for 3 bytes, less its padding.
        long size = text.length() / 4L * 3 - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);
        String problem = budget.take(what, size);
        if (problem != null) {
            problems.add(problem);
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getDecoder().decode(text));
        } catch (IllegalArgumentException e) {
            problems.add(what + " came from the sandboxed JVM in broken base64; not forwarded");
            return Optional.empty();
        }
    }

    /** One file name: not empty, no separator, not . or .., no control characters. */
    static boolean segment(String s) {
        return !s.isEmpty() && s.length() <= 255 && !s.equals(".") && !s.equals("..")
                && s.chars().noneMatch(c -> c == '/' || c == '\\' || c < 0x20 || c == 0x7f);
    }

    /** A relative path of file names, one below the other. */
    static boolean relativePath(String path) {
        if (path.isEmpty() || path.length() > 4096) {
            return false;
        }
        String[] segments = path.split("/", -1);
        if (segments.length > MAX_DEPTH) {
            return false;
        }
        for (String s : segments) {
            if (!segment(s)) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        return printable(s, 80);
    }

    private static String printable(String s, int max) {
        String shown = s.length() > max ? s.substring(0, max) + "..." : s;
        return shown.replaceAll("\\p{Cntrl}", "?");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
