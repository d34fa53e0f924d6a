package dev.sandboxed.samples;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.junit.Bind;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;
import dev.sandboxed.junit.Tmpfs;
import dev.sandboxed.junit.Toggle;

/**
 * Tests a command-line tool hermetically: the tool is bound in read-only, the root filesystem is read-only, and
 * the only place it can write is a private tmpfs that disappears with the test.
 */
@Sandboxed(readOnlyRoot = Toggle.ON, env = "NOTES_DIR=/mnt/notes")
@Bind(source = "src/test/resources/tools", target = "/srv")
@Tmpfs(target = "/mnt", size = "4m")
class CommandLineToolTest {
    private static final String NOTES = "/srv/notes";
    private static long hostFilesBefore;

    @BeforeAll
    static void countHostFiles() throws Exception {
        hostFilesBefore = countFiles(Path.of("src/test/resources/tools"));
    }

    @Test
    void addsAndListsNotes(Container sandbox) {
        assertThat(sandbox.exec(NOTES, "add", "buy milk")).succeeded().hasStdout("added note 1");
        assertThat(sandbox.exec(NOTES, "add", "call Bob")).succeeded().hasStdout("added note 2");
        assertThat(sandbox.exec(NOTES, "list")).succeeded().stdoutContains("1\tbuy milk", "2\tcall Bob").hasEmptyStderr();
        assertThat(sandbox.readString("/mnt/notes/notes.txt")).isEqualTo("buy milk\ncall Bob\n");
    }

    @Test
    void startsEmptyInEveryTest(Container sandbox) {
        // The previous test's notes lived in its own sandbox's tmpfs: gone.
        assertThat(sandbox.exec(NOTES, "list")).hasExitCode(1).stderrContains("no notes");
    }

    @Test
    void rejectsUnknownCommands(Container sandbox) {
        assertThat(sandbox.exec(NOTES, "delete", "everything")).hasExitCode(2).stderrContains("usage:");
    }

    @Test
    void cannotWriteOutsideTheSandbox(Container sandbox) {
        // Pointed at the read-only root, the tool must fail rather than write anywhere.
        assertThat(sandbox.exec(ProcessSpec.builder(NOTES, "add", "x").env("NOTES_DIR", "/var/notes").build()))
                .failed().stderrContains("Read-only file system");
        assertThat(sandbox.execShell("echo x > /srv/evil")).failed().stderrContains("Read-only file system");
        assertThat(sandbox.execShell("echo ok > /mnt/allowed && cat /mnt/allowed")).succeeded().hasStdout("ok");
    }

    @AfterAll
    static void hostIsUntouched() throws Exception {
        assertThat(countFiles(Path.of("src/test/resources/tools"))).isEqualTo(hostFilesBefore);
        assertThat(Path.of("src/test/resources/tools/evil")).doesNotExist();
    }

    private static long countFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.count();
        }
    }
}
