package dev.sandboxed.core.internal.os;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Terminals for {@code sandboxed exec}: whether a descriptor is one, raw mode and its undoing, window sizes, and
 * fresh pseudo-terminals from the host's {@code /dev/ptmx} (the JDK has none of these). The ioctl numbers and the
 * kernel's {@code struct termios} (36 bytes, c_cc from offset 17) are the same on x86_64 and aarch64.
 */
public final class Terminal {
    private static final long TCGETS = 0x5401;
    private static final long TCSETSW = 0x5403;
    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;
    private static final long TIOCGPTN = 0x80045430L;
    private static final long TIOCSPTLCK = 0x40045431L;
    private static final int O_NOCTTY = 0400;
    private static final int TERMIOS_SIZE = 64; // the kernel writes 36 of them
    private static final int C_CC = 17;
    private static final int VTIME = 5;
    private static final int VMIN = 6;

    private Terminal() {
    }

    /** A pseudo-terminal: the master stays here, the slave is what a process gets as its terminal. */
    public record Pty(int master, int slave) {
    }

    public static boolean isTerminal(int fd) {
        return Native.libc().ioctl(fd, TCGETS, Native.allocate(TERMIOS_SIZE)) == 0;
    }

    /** The attributes of terminal {@code fd}, for {@link #restore}. */
    public static ByteBuffer attributes(int fd) {
        ByteBuffer termios = Native.allocate(TERMIOS_SIZE);
        if (Native.libc().ioctl(fd, TCGETS, termios) < 0) {
            throw Native.failure("read the attributes of terminal " + fd);
        }
        return termios;
    }

    /** Puts terminal {@code fd} in raw mode as cfmakeraw(3) does: no echo, no line editing, no signals by keys. */
    public static void makeRaw(int fd) {
        ByteBuffer t = attributes(fd);
        t.putInt(0, t.getInt(0) & ~(01 | 02 | 010 | 040 | 0100 | 0200 | 0400 | 02000)); // IGNBRK .. ICRNL, IXON
        t.putInt(4, t.getInt(4) & ~01); // OPOST
        t.putInt(8, (t.getInt(8) & ~(060 | 0400)) | 060); // CSIZE, PARENB off; CS8
        t.putInt(12, t.getInt(12) & ~(010 | 0100 | 02 | 01 | 0100000)); // ECHO, ECHONL, ICANON, ISIG, IEXTEN
        t.put(C_CC + VMIN, (byte) 1);
        t.put(C_CC + VTIME, (byte) 0);
        restore(fd, t);
    }

    /** Sets attributes read by {@link #attributes}, once the output written so far is sent. */
    public static void restore(int fd, ByteBuffer attributes) {
        if (Native.libc().ioctl(fd, TCSETSW, attributes) < 0) {
            throw Native.failure("set the attributes of terminal " + fd);
        }
    }

    /** Rows and columns of terminal {@code fd}; empty when it is none or has no size. */
    public static Optional<int[]> windowSize(int fd) {
        ByteBuffer size = Native.allocate(8);
        if (Native.libc().ioctl(fd, TIOCGWINSZ, size) < 0) {
            return Optional.empty();
        }
        int rows = Short.toUnsignedInt(size.getShort(0));
        int columns = Short.toUnsignedInt(size.getShort(2));
        return rows == 0 && columns == 0 ? Optional.empty() : Optional.of(new int[] {rows, columns});
    }

    /** Sets the window size of terminal {@code fd}; the kernel sends SIGWINCH to its foreground process group. */
    public static void setWindowSize(int fd, int rows, int columns) {
        ByteBuffer size = Native.allocate(8);
        size.putShort(0, (short) rows);
        size.putShort(2, (short) columns);
        if (Native.libc().ioctl(fd, TIOCSWINSZ, size) < 0) {
            throw Native.failure("set the window size of terminal " + fd);
        }
    }

    /** A fresh pseudo-terminal of the host's devpts, both ends close-on-exec and nobody's controlling terminal. */
    public static Pty openPty() {
        int master = Native.open("/dev/ptmx", Native.O_RDWR | O_NOCTTY, 0, "a pseudo-terminal");
        try {
            ByteBuffer arg = Native.allocate(4);
            if (Native.libc().ioctl(master, TIOCSPTLCK, arg) < 0) { // 0: unlock
                throw Native.failure("unlock the pseudo-terminal");
            }
            if (Native.libc().ioctl(master, TIOCGPTN, arg) < 0) {
                throw Native.failure("read the number of the pseudo-terminal");
            }
            int slave = Native.open("/dev/pts/" + arg.getInt(0), Native.O_RDWR | O_NOCTTY, 0, "a pseudo-terminal");
            return new Pty(master, slave);
        } catch (RuntimeException e) {
            Native.close(master);
            throw e;
        }
    }
}
