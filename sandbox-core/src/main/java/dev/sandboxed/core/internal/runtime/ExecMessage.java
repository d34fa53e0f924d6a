package dev.sandboxed.core.internal.runtime;

import java.util.Arrays;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.protocol.Message;

/**
 * A K_EXEC message, and the sealed memfd that carries its arguments and environment when they are too large for the
 * message (F_ARGV_MEMFD; -1 otherwise). The memfd is ours until {@link #close}, which the sender calls once the message
 * went out, or failed to.
 */
public record ExecMessage(Message message, int argvMemfd) implements AutoCloseable {
    /** The descriptors that go with the message: the process's stdio, then the memfd if there is one. */
    public int[] fds(int[] stdio) {
        if (argvMemfd < 0) {
            return stdio;
        }
        int[] fds = Arrays.copyOf(stdio, stdio.length + 1);
        fds[stdio.length] = argvMemfd;
        return fds;
    }

    @Override
    public void close() {
        Native.close(argvMemfd);
    }
}
