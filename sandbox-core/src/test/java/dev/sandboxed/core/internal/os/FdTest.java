package dev.sandboxed.core.internal.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** A descriptor is never used after close, and its number stays taken until the last use in progress ends. */
class FdTest {

    @Test
    void aUseAfterCloseIsRefused() {
        int[] pipe = Native.pipe("test");
        Native.close(pipe[1]);
        Fd fd = new Fd(pipe[0], "test pipe");
        fd.close();
        assertThat(fd.isClosed()).isTrue();
        assertThat(open(pipe[0])).isFalse();
        assertThatThrownBy(fd::acquire).isInstanceOf(Fd.ClosedException.class).hasMessage("test pipe is closed");
        fd.close(); // idempotent
    }

    @Test
    void closeDuringAUseClosesWhenTheLastUseEnds() {
        int[] pipe = Native.pipe("test");
        Native.close(pipe[1]);
        Fd fd = new Fd(pipe[0], "test pipe");
        assertThat(fd.acquire()).isEqualTo(pipe[0]);
        assertThat(fd.acquire()).isEqualTo(pipe[0]);
        fd.close();
        assertThatThrownBy(fd::acquire).isInstanceOf(Fd.ClosedException.class);
        fd.release();
        assertThat(open(pipe[0])).as("one use still in progress").isTrue();
        fd.release();
        assertThat(open(pipe[0])).isFalse();
    }

    private static boolean open(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }
}
