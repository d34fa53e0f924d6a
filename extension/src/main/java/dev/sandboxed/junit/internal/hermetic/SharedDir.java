package dev.sandboxed.junit.internal.hermetic;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.os.OwnTree;

/**
 * The host directory a sandboxed JVM shares with this one (bound writable at {@link Wire#DIR_INSIDE}). Its name,
 * {@code sandboxed-jvm-NS-PID-START-N}, carries this JVM's pid namespace (the inode of /proc/self/ns/pid), pid and
 * start time (field 22 of /proc/PID/stat, which tells it from a later process with the same pid), so that a later run
 * removes the directories of a JVM that was killed before it could. Only directories of the same pid namespace are
 * removed: a pid means nothing in another one (containers sharing one /tmp), and neither do names without a namespace.
 * Removal never follows a link and makes each directory searchable first: the sandboxed test may chmod what it finds
 * there to 000, which its owner could otherwise not remove without root.
 */
final class SharedDir {
    private static final System.Logger LOG = System.getLogger(SharedDir.class.getName());
    static final String PREFIX = "sandboxed-jvm-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-(\\d+)-(\\d+)-\\d+");
    private static final Pattern NS_LINK = Pattern.compile("pid:\\[(\\d+)]");
    private static final long PID = ProcessHandle.current().pid();
    /** This JVM's pid namespace; 0 when unknown, which no sweep ever matches. */
    static final long NAMESPACE = namespace(PID);
    private static final long START = startTime(PID);
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private SharedDir() {
    }

    /** A new directory in {@code java.io.tmpdir}; the first of this JVM removes those dead JVMs left there. */
    static Path create() throws IOException {
        Path base = Path.of(System.getProperty("java.io.tmpdir"));
        if (SWEPT.compareAndSet(false, true)) {
            removeDead(base);
        }
        return create(base);
    }

    static Path create(Path base) throws IOException {
        return Files.createTempDirectory(base, PREFIX + NAMESPACE + "-" + PID + "-" + START + "-");
    }

    /** Removes {@code dir} and all in it; logs what could not be removed. */
    static void remove(Path dir) {
        try {
            OwnTree.delete(dir);
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not remove the sandboxed JVM's directory " + dir + ": " + e);
        }
    }

    /**
     * Removes the shared directories in {@code base} of this user and pid namespace whose JVM is gone (its pid runs no
     * more, or runs a later process); the number removed. Nothing when this JVM's namespace is unknown.
     */
    static int removeDead(Path base) {
        int removed = 0;
        if (NAMESPACE == 0) {
            return 0;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(base, PREFIX + "*")) {
            for (Path dir : entries) {
                Matcher m = NAME.matcher(dir.getFileName().toString());
                if (m.matches() && m.group(1).equals(Long.toString(NAMESPACE)) && ownDirectory(dir)
                        && dead(Long.parseLong(m.group(2)), Long.parseLong(m.group(3)))) {
                    remove(dir);
                    removed += Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? 0 : 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "could not look for dead JVMs' directories in " + base + ": " + e);
        }
        return removed;
    }

    private static boolean ownDirectory(Path dir) throws IOException {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                && ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue() == OwnIds.uid();
    }

    private static boolean dead(long pid, long start) {
        return startTime(pid) != start;
    }

    /**
     * The inode of this process's pid namespace, read from /proc/self/ns/pid ({@code pid:[4026531836]}); 0 when it
     * cannot be read or /proc is not of this namespace (its "self" is not {@code pid}): then /proc/PID would describe
     * processes of another namespace, and nothing may be judged dead by it.
     */
    static long namespace(long pid) {
        try {
            if (!Files.readSymbolicLink(Path.of("/proc/self")).toString().equals(Long.toString(pid))) {
                return 0;
            }
            Matcher m = NS_LINK.matcher(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString());
            return m.matches() ? Long.parseLong(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Field 22 of /proc/PID/stat, 0 when no such process runs. */
    static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
