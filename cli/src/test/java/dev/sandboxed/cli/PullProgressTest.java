package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.image.PullListener.PullEvent;
import dev.sandboxed.core.image.PullListener.PullEvent.Kind;

/** The two renderings of pull progress: lines for logs, one redrawn line for a terminal. */
class PullProgressTest {
    private static final String SRC = "docker.io/library/busybox:1.36";
    private static final String L1 = "sha256:" + "a".repeat(64);
    private static final String L2 = "sha256:" + "b".repeat(64);
    private static final String M = "sha256:" + "c".repeat(64);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private String replay(boolean terminal) {
        PullProgress p = new PullProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal);
        p.onEvent(new PullEvent(Kind.RESOLVED, SRC, M, 0, 2));
        p.onEvent(new PullEvent(Kind.CACHED, SRC, L1, 0, 3 << 20));
        p.onEvent(new PullEvent(Kind.PROGRESS, SRC, L2, 1 << 20, 2 << 20));
        p.onEvent(new PullEvent(Kind.PROGRESS, SRC, L2, 2 << 20, 2 << 20));
        p.onEvent(new PullEvent(Kind.EXTRACTED, SRC, L2, 2 << 20, 2 << 20));
        p.onEvent(new PullEvent(Kind.DONE, SRC, M, 0, 0));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void oneLinePerLayerWhenNotATerminal() {
        assertThat(replay(false).lines()).satisfiesExactly(
                l -> assertThat(l).isEqualTo("pull " + SRC + ": resolved sha256:cccccccccccc, 2 layers"),
                l -> assertThat(l).isEqualTo("pull " + SRC + ": layer sha256:aaaaaaaaaaaa 3.0 MiB done (cached)"),
                l -> assertThat(l).matches("pull " + SRC + ": layer sha256:bbbbbbbbbbbb 2\\.0 MiB done "
                        + "\\(downloaded in [0-9]+\\.[0-9] s\\)"),
                l -> assertThat(l).isEqualTo("pull " + SRC + ": done (sha256:cccccccccccc)"));
    }

    @Test
    void oneRedrawnLineOnATerminal() {
        String out = replay(true);
        assertThat(out.chars().filter(c -> c == '\n').count()).as("a single line, ended once at the end").isEqualTo(1);
        assertThat(out).endsWith("\n").contains("\rpull " + SRC + ": layer 1/2 sha256:aaaaaaaaaaaa 3.0 MiB done (cached)\033[K",
                "\rpull " + SRC + ": layer 2/2 sha256:bbbbbbbbbbbb 2.0 MiB done (downloaded in ",
                "\rpull " + SRC + ": done (sha256:cccccccccccc)\033[K\n");
    }

    @Test
    void anImageInTheCacheIsOneLine() {
        PullProgress p = new PullProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        p.onEvent(new PullEvent(Kind.CACHED, SRC, M, 0, 0));
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("pull " + SRC + ": in the cache (sha256:cccccccccccc)\n");
    }
}
