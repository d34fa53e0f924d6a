package dev.sandboxed.core.spec;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Objects;

/** Where a sandboxed process's stdin, stdout or stderr goes. */
public sealed interface Stdio permits Stdio.Pipe, Stdio.Inherit, Stdio.File, Stdio.Discard, Stdio.Stream {

    /** A pipe to Java: read it from the process handle. The default. */
    record Pipe() implements Stdio {
    }

    /** The JVM's own descriptor (0, 1 or 2): what the CLI uses. */
    record Inherit() implements Stdio {
    }

    /** A host file: read from for stdin; created or truncated (or appended to) for output. */
    record File(Path path, boolean append) implements Stdio {
    }

    /**
     * Output streamed to {@code out} as it comes (stdout and stderr only), instead of being kept: for output too large
     * for memory. Written by the thread that collects the process, not closed here: for an exec that is the thread
     * calling it (a write that blocks holds up the exec's timeout), for a spawned process a pool thread.
     */
    record Stream(OutputStream out) implements Stdio {
        public Stream {
            Objects.requireNonNull(out, "out");
        }
    }

    /** /dev/null. */
    record Discard() implements Stdio {
    }

    static Stdio pipe() {
        return new Pipe();
    }

    static Stdio inherit() {
        return new Inherit();
    }

    static Stdio discard() {
        return new Discard();
    }

    /** See {@link Stream}. */
    static Stdio to(OutputStream out) {
        return new Stream(out);
    }

    static Stdio file(Path path) {
        return new File(path.toAbsolutePath(), false);
    }

    static Stdio appendTo(Path path) {
        return new File(path.toAbsolutePath(), true);
    }
}
