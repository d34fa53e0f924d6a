package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Stdio;

/**
 * The three descriptors handed to a new process and, for pipes, the Java ends kept here.
 * Child ends are closed as soon as they were sent; parent ends live with the process handle.
 */
public final class StdioSetup {
    private final int[] childFds = {-1, -1, -1};
    private final boolean[] ownedChild = new boolean[3];
    /** Bit i: stream i is discarded, the init's own /dev/null (F_STDIO_NULL), and no descriptor goes with it. */
    private int nullStreams;
    /** With {@link #openRaw}: the Java ends of pipes as plain descriptors (-1 where not a pipe). */
    private final int[] rawParentFds = {-1, -1, -1};
    private boolean raw;
    /** The stdout and stderr pipes ({@code pipe:[INODE]}, as /proc/self/fd shows them), for a keeper to drain. */
    private final String[] outputPipes = new String[2];
    private OutputStream stdin;
    private InputStream stdout;
    private InputStream stderr;

    private StdioSetup() {
    }

    public static StdioSetup open(ProcessSpec process) {
        return open(process, false);
    }

    /**
     * Like {@link #open}, but the Java ends of pipes stay plain descriptors, for a caller that polls them
     * itself (a one-shot sandbox collects its process's output on the calling thread).
     */
    public static StdioSetup openRaw(ProcessSpec process) {
        return open(process, true);
    }

    private static StdioSetup open(ProcessSpec process, boolean raw) {
        StdioSetup s = new StdioSetup();
        s.raw = raw;
        try {
            s.stdin = (OutputStream) s.setUp(0, process.stdin(), true);
            s.stdout = (InputStream) s.setUp(1, process.stdout(), false);
            s.stderr = (InputStream) s.setUp(2, process.stderr(), false);
        } catch (RuntimeException e) {
            s.closeChildEnds();
            s.closeParentEnds();
            throw e;
        }
        return s;
    }

    /**
     * The caller's own descriptors as the process's stdin, stdout and stderr (received from another process, see
     * {@code internal.control}): owned here from now on, and closed once sent, as pipe ends are.
     */
    public static StdioSetup passing(int[] fds) {
        if (fds.length != 3) {
            throw new IllegalArgumentException("3 descriptors (stdin, stdout, stderr) expected, got " + fds.length);
        }
        StdioSetup s = new StdioSetup();
        for (int i = 0; i < 3; i++) {
            s.childFds[i] = fds[i];
            s.ownedChild[i] = true;
        }
        return s;
    }

    /** The Java end of stream {@code index} (0 stdin, 1 stdout, 2 stderr) after {@link #openRaw}, or -1. */
    public int rawParentFd(int index) {
        return rawParentFds[index];
    }

    /** Returns the Java-side stream for a pipe, else null. */
    private Object setUp(int index, Stdio stdio, boolean input) {
        String name = new String[] {"stdin", "stdout", "stderr"}[index];
        if (stdio instanceof Stdio.Inherit) {
            childFds[index] = index; // the JVM's own 0, 1 or 2; not ours to close
            return null;
        }
        if (stdio instanceof Stdio.Discard) {
            nullStreams |= 1 << index;
            return null;
        }
        if (stdio instanceof Stdio.File f) {
            int flags = input ? Native.O_RDONLY
                    : Native.O_WRONLY | Native.O_CREAT | (f.append() ? Native.O_APPEND : Native.O_TRUNC);
            childFds[index] = Native.open(f.path().toString(), flags, 0644, name);
            ownedChild[index] = true;
            return null;
        }
        int[] pipe = Native.pipe(name);
        if (!input) {
            outputPipes[index - 1] = pipeName(pipe[0]);
        }
        if (raw) {
            childFds[index] = input ? pipe[0] : pipe[1];
            ownedChild[index] = true;
            rawParentFds[index] = input ? pipe[1] : pipe[0];
            return null;
        }
        if (input) {
            childFds[index] = pipe[0];
            ownedChild[index] = true;
            return Native.adoptOutput(pipe[1]);
        }
        childFds[index] = pipe[1];
        ownedChild[index] = true;
        return Native.adoptInput(pipe[0]);
    }

    /**
     * For a background process: output streamed to the caller ({@link Stdio.Stream}) is copied there from now on,
     * on a pool thread, and no longer offered as a stream to read.
     */
    public void pumpStreams(ProcessSpec process, String what) {
        if (process.stdout() instanceof Stdio.Stream s && stdout != null) {
            Drainers.pump(stdout, s.out(), "stdout of " + what);
            stdout = null;
        }
        if (process.stderr() instanceof Stdio.Stream s && stderr != null) {
            Drainers.pump(stderr, s.out(), "stderr of " + what);
            stderr = null;
        }
    }

    /** The stdout and stderr pipes, named as /proc/self/fd shows them (none where a stream is not a pipe). */
    public List<String> outputPipes() {
        return Arrays.stream(outputPipes).filter(Objects::nonNull).toList();
    }

    /** {@code pipe:[INODE]}: the descriptor's number changes when a stream adopts it, the pipe does not. */
    static String pipeName(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** The descriptors that go with the exec message: those of the streams that are not {@link #nullStreams}. */
    public int[] sentFds() {
        int[] sent = new int[3 - Integer.bitCount(nullStreams)];
        for (int i = 0, n = 0; i < 3; i++) {
            if ((nullStreams & 1 << i) == 0) {
                sent[n++] = childFds[i];
            }
        }
        return sent;
    }

    /** The F_STDIO_NULL bits: the streams the init gives its /dev/null. */
    public int nullStreams() {
        return nullStreams;
    }

    public OutputStream stdin() {
        return stdin;
    }

    public InputStream stdout() {
        return stdout;
    }

    public InputStream stderr() {
        return stderr;
    }

    public void closeChildEnds() {
        for (int i = 0; i < 3; i++) {
            if (ownedChild[i]) {
                Native.close(childFds[i]);
                ownedChild[i] = false;
            }
        }
    }

    public void closeParentEnds() {
        for (int i = 0; i < 3; i++) {
            if (rawParentFds[i] >= 0) {
                Native.close(rawParentFds[i]);
                rawParentFds[i] = -1;
            }
        }
        for (AutoCloseable c : new AutoCloseable[] {stdin, stdout, stderr}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing a pipe end cannot fail in a way that matters here
                }
            }
        }
    }
}
