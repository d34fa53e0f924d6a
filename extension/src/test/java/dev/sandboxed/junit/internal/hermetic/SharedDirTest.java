package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directories shared with sandboxed JVMs: removed whatever the test did to them, also after a JVM was killed. */
class SharedDirTest {
    @TempDir
    Path base;

    @Test
    void removalMakesLockedDirectoriesSearchableAndNeverFollowsLinks() throws IOException {
        Path outside = Files.createDirectory(base.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept"), "host");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("r-x------"));
        Path dir = SharedDir.create(base);
        lockedTree(dir, outside);

        SharedDir.remove(dir);

        assertThat(Files.exists(dir, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(kept).hasContent("host");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outside))).isEqualTo("r-x------");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void aDeadJvmsDirectoriesAreRemovedAndALiveOnesAreNot() throws Exception {
        assertThat(SharedDir.NAMESPACE).isPositive();
        Gone gone = gone();
        Path dead = Files.createDirectory(base.resolve(name(SharedDir.NAMESPACE, gone.pid, gone.start)));
        lockedTree(dead, base);
        long self = ProcessHandle.current().pid();
        Path reused = Files.createDirectory(base.resolve(name(SharedDir.NAMESPACE, self, 1))); // this pid, another start
        Path live = SharedDir.create(base);
        Path unnamed = Files.createDirectory(base.resolve("sandboxed-jvm-other"));

        assertThat(SharedDir.removeDead(base)).isEqualTo(2);

        assertThat(Files.exists(dead, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(reused, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(live).isDirectory();
        assertThat(unnamed).isDirectory();
        assertThat(live.getFileName().toString())
                .startsWith("sandboxed-jvm-" + SharedDir.NAMESPACE + "-" + self + "-" + SharedDir.startTime(self) + "-");
    }

    @Test
    void anotherPidNamespacesDirectoriesAndNamesWithoutOneAreLeftAlone() throws Exception {
        Gone gone = gone();
        // Another container sharing this /tmp: its pids and start times mean nothing here, however dead they look.
        Path otherNamespace = Files.createDirectory(base.resolve(name(SharedDir.NAMESPACE + 1, gone.pid, gone.start)));
        Path otherSelf = Files.createDirectory(base.resolve(name(SharedDir.NAMESPACE + 1, ProcessHandle.current().pid(), 1)));
        Path oldFormat = Files.createDirectory(base.resolve("sandboxed-jvm-" + gone.pid + "-" + gone.start + "-1"));
        Path sameNamespace = Files.createDirectory(base.resolve(name(SharedDir.NAMESPACE, gone.pid, gone.start)));

        assertThat(SharedDir.removeDead(base)).isEqualTo(1);

        assertThat(otherNamespace).isDirectory();
        assertThat(otherSelf).isDirectory();
        assertThat(oldFormat).isDirectory();
        assertThat(Files.exists(sameNamespace, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void theNamespaceIsTheInodeOfProcSelfNsPid() throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        assertThat(link).isEqualTo("pid:[" + SharedDir.NAMESPACE + "]");
        assertThat(SharedDir.namespace(ProcessHandle.current().pid() + 1)).as("/proc of another pid").isZero();
    }

    private static String name(long namespace, long pid, long start) {
        return "sandboxed-jvm-" + namespace + "-" + pid + "-" + start + "-1";
    }

    /** A process that ran and is gone: its pid and start time. */
    private record Gone(long pid, long start) {
    }

    private static Gone gone() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        long start = SharedDir.startTime(p.pid());
        assertThat(start).isPositive();
        p.destroyForcibly().waitFor();
        return new Gone(p.pid(), start);
    }

    /** What a sandboxed test may leave: directories and files at mode 000, links out of the directory. */
    private static void lockedTree(Path dir, Path outside) throws IOException {
        Path deep = Files.createDirectories(dir.resolve("a/b"));
        Files.writeString(deep.resolve("file"), "x");
        Files.createSymbolicLink(dir.resolve("a/out"), outside);
        Files.createSymbolicLink(deep.resolve("kept-link"), outside.resolve("kept"));
        var none = PosixFilePermissions.fromString("---------");
        Files.setPosixFilePermissions(deep.resolve("file"), none);
        Files.setPosixFilePermissions(deep, none);
        Files.setPosixFilePermissions(dir.resolve("a"), none);
        Files.setPosixFilePermissions(dir, none);
    }
}
