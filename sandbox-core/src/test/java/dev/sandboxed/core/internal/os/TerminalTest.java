package dev.sandboxed.core.internal.os;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The terminal calls of both libc implementations (run with -Dsandboxed.ffi=jnr or ffm to pick one). */
class TerminalTest {
    @Test
    void aFreshPtyIsATerminalWithTheSizeItsMasterSets() {
        Terminal.Pty pty = Terminal.openPty();
        int[] pipe = Native.pipe("a test");
        try {
            assertThat(Terminal.isTerminal(pty.slave())).isTrue();
            assertThat(Terminal.isTerminal(pipe[0])).isFalse();
            Terminal.setWindowSize(pty.master(), 45, 123);
            assertThat(Terminal.windowSize(pty.slave())).hasValueSatisfying(s -> assertThat(s).containsExactly(45, 123));
            assertThat(Terminal.windowSize(pipe[0])).isEmpty();
        } finally {
            Native.close(pty.master());
            Native.close(pty.slave());
            Native.close(pipe[0]);
            Native.close(pipe[1]);
        }
    }

    @Test
    void rawModeTurnsEchoAndLineEditingOffAndRestoreUndoesIt() {
        Terminal.Pty pty = Terminal.openPty();
        try {
            ByteBuffer before = Terminal.attributes(pty.slave());
            assertThat(before.getInt(12) & 010).as("ECHO").isNotZero();
            Terminal.makeRaw(pty.slave());
            assertThat(Terminal.attributes(pty.slave()).getInt(12) & (010 | 02 | 01)).as("ECHO, ICANON, ISIG").isZero();
            // Without line editing a byte is readable at once, not at the end of a line.
            byte[] x = "x".getBytes(StandardCharsets.US_ASCII);
            assertThat(Native.libc().write(pty.master(), x, 1)).isEqualTo(1);
            byte[] got = new byte[8];
            assertThat(Native.libc().read(pty.slave(), got, got.length)).isEqualTo(1);
            assertThat(got[0]).isEqualTo((byte) 'x');
            Terminal.restore(pty.slave(), before);
            ByteBuffer after = Terminal.attributes(pty.slave());
            for (int i = 0; i < 36; i++) {
                assertThat(after.get(i)).as("byte %d of struct termios", i).isEqualTo(before.get(i));
            }
        } finally {
            Native.close(pty.master());
            Native.close(pty.slave());
        }
    }
}
