package dev.sandboxed.core.internal.os;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.SandboxException;

/**
 * Typed access to {@link LibC}: every call checks its result and turns a failure into a
 * {@link SandboxException} that names the step and the errno.
 */
public final class Native {
    public static final int AF_UNIX = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_CLOEXEC = 0x80000;
    public static final int SHUT_RDWR = 2;
    public static final int WNOHANG = 1;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int MFD_CLOEXEC = 1;
    public static final int MFD_ALLOW_SEALING = 2;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 1;
    public static final int F_SEAL_SHRINK = 2;
    public static final int F_SEAL_GROW = 4;
    public static final int F_SEAL_WRITE = 8;

    public static final int O_PATH = 0x200000;
    // O_DIRECTORY and O_NOFOLLOW differ between architectures: arm64 has the generic values, x86 its own.
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    public static final int O_DIRECTORY = ARM64 ? 040000 : 0200000;
    public static final int O_NOFOLLOW = ARM64 ? 0100000 : 0400000;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final long RESOLVE_IN_ROOT = 0x10;
    private static final int OPEN_HOW_SIZE = 24; // struct open_how {u64 flags; u64 mode; u64 resolve}
    private static final int OPENAT2_ATTEMPTS = 8;
    private static final int POINTER_SIZE = 8; // LP64: x86_64 and aarch64
    private static final LibC LIBC = NativeLibrary.load();

    private Native() {
    }

    /** Native memory for a structure: zeroed, in native byte order; reachable as long as the buffer is. */
    public static ByteBuffer allocate(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    /**
     * openat2(2) of {@code path} relative to {@code dirFd}: a descriptor, or -1 with the errno in {@link #lastErrno()}.
     * EAGAIN (a rename elsewhere raced a restricted resolution; the kernel asks for a retry) and EINTR are retried.
     */
    public static int openat2(int dirFd, String path, long flags, long resolve) {
        ByteBuffer how = allocate(OPEN_HOW_SIZE);
        how.putLong(0, flags);
        how.putLong(8, 0);
        how.putLong(16, resolve);
        for (int attempt = 1;; attempt++) {
            long fd = LIBC.openat2(dirFd, path, how, OPEN_HOW_SIZE);
            int errno = fd < 0 ? lastErrno() : 0;
            if (fd >= 0 || (errno != Errno.EAGAIN && errno != Errno.EINTR) || attempt == OPENAT2_ATTEMPTS) {
                return (int) fd;
            }
        }
    }

    public static LibC libc() {
        return LIBC;
    }

    /** Which implementation makes the calls: {@code ffm} (the JDK's, Java 22+) or {@code jnr} (jnr-ffi). */
    public static String ffi() {
        return LIBC.getClass().getSimpleName().startsWith("Ffm") ? "ffm" : "jnr";
    }

    public static int lastErrno() {
        return LIBC.lastErrno();
    }

    public static SandboxException failure(String step) {
        return new SandboxException(step, lastErrno());
    }

    /** A connected SOCK_SEQPACKET pair, close-on-exec in this process. */
    public static int[] seqpacketPair(String purpose) {
        int[] sv = new int[2];
        if (LIBC.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
            throw failure("socketpair for " + purpose);
        }
        return sv;
    }

    /** A pipe, close-on-exec in this process: [read end, write end]. */
    public static int[] pipe(String purpose) {
        int[] fds = new int[2];
        if (LIBC.pipe2(fds, O_CLOEXEC) < 0) {
            throw failure("pipe for " + purpose);
        }
        return fds;
    }

    /**
     * A memfd holding {@code content}, sealed against any change (shrink, grow, write, and further seals), close-on-exec
     * in this process. The caller closes it.
     */
    public static int sealedMemfd(String name, byte[] content) {
        int fd = LIBC.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) {
            throw failure("memfd_create " + name);
        }
        try {
            int written = 0;
            while (written < content.length) {
                byte[] rest = written == 0 ? content : Arrays.copyOfRange(content, written, content.length);
                long n = LIBC.write(fd, rest, rest.length);
                if (n < 0 && lastErrno() == Errno.EINTR) {
                    continue;
                }
                if (n <= 0) {
                    throw failure("write " + content.length + " bytes to memfd " + name);
                }
                written += (int) n;
            }
            if (LIBC.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
                throw failure("seal memfd " + name);
            }
            return fd;
        } catch (RuntimeException e) {
            LIBC.close(fd);
            throw e;
        }
    }

    /** An empty memfd, close-on-exec in this process (e.g. a child's output, read back through /proc/self/fd). */
    public static int memfd(String name) {
        int fd = LIBC.memfd_create(name, MFD_CLOEXEC);
        if (fd < 0) {
            throw failure("memfd_create " + name);
        }
        return fd;
    }

    /** The seals of a memfd (F_SEAL_*). */
    public static int seals(int fd) {
        int seals = LIBC.fcntl(fd, F_GET_SEALS, 0);
        if (seals < 0) {
            throw failure("read the seals of descriptor " + fd);
        }
        return seals;
    }

    public static int open(String path, int flags, int mode, String purpose) {
        int fd = LIBC.open(path, flags | O_CLOEXEC, mode);
        if (fd < 0) {
            throw failure("open " + path + " for " + purpose);
        }
        return fd;
    }

    public static void close(int fd) {
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }

    /** Wakes a thread blocked in recvmsg on this socket (close alone would not). */
    public static void shutdown(int fd) {
        if (fd >= 0) {
            LIBC.shutdown(fd, SHUT_RDWR);
        }
    }

    /**
     * Turns a raw descriptor into a Java stream and closes the raw one. Re-opening through
     * /proc/self/fd gives the stream its own open file (this works for pipes), so the JDK owns
     * and closes it like any other stream.
     */
    public static InputStream adoptInput(int fd) {
        try {
            // Wrapped: FileInputStream.readAllBytes seeks, which a pipe refuses (ESPIPE) on JDK 17.
            return new FilterInputStream(new FileInputStream("/proc/self/fd/" + fd)) {
            };
        } catch (IOException e) {
            throw new SandboxException("adopt pipe descriptor " + fd + ": " + e.getMessage(), 0);
        } finally {
            close(fd);
        }
    }

    /** Like {@link #adoptInput} for a write end. */
    public static FileOutputStream adoptOutput(int fd) {
        try {
            return new FileOutputStream("/proc/self/fd/" + fd);
        } catch (IOException e) {
            throw new SandboxException("adopt pipe descriptor " + fd + ": " + e.getMessage(), 0);
        } finally {
            close(fd);
        }
    }

    /** Nice 10 for the calling thread only; best effort (a failure leaves it at its priority). */
    public static void lowerThreadPriority() {
        LIBC.setpriority(0 /* PRIO_PROCESS: with a thread id, that thread */, LIBC.gettid(), 10);
    }

    public static boolean kill(int pid, int signal) {
        return LIBC.kill(pid, signal) == 0;
    }

    /** Reaps a child started with {@link #spawn}; returns true once it has exited. */
    public static boolean reap(int pid, boolean block) {
        int[] status = new int[1];
        int rc = LIBC.waitpid(pid, status, block ? 0 : WNOHANG);
        return rc == pid || (rc < 0 && lastErrno() != Errno.EINTR);
    }

    /** A pidfd for {@code pid} (see {@link PollSet#awaitExit}), or -1 where the kernel has none. */
    public static int pidfdOpen(int pid) {
        return LIBC.pidfd_open(pid, 0);
    }

    /**
     * posix_spawn with stdin from /dev/null and {@code passFd} as descriptor 3 in the child.
     * The JDK's ProcessBuilder cannot hand a child a socket, which is why this exists.
     */
    public static int spawn(String path, List<String> argv, List<String> env, int passFd) {
        return spawn(path, argv, env, new int[] {passFd}, -1);
    }

    /**
     * As {@link #spawn(String, List, List, int)}, with {@code passFds} as descriptors 3, 4, ... in the child, and its
     * stdout and stderr on {@code outFd} (inherited when -1).
     */
    public static int spawn(String path, List<String> argv, List<String> env, int[] passFds, int outFd) {
        for (int fd : passFds) {
            if (fd >= 3 && fd < 3 + passFds.length) { // a dup2 onto it would replace it before it is passed on
                throw new IllegalArgumentException("descriptor " + fd + " would be overwritten while passed on");
            }
        }
        ByteBuffer actions = allocate(256);
        if (LIBC.posix_spawn_file_actions_init(actions) != 0) {
            throw new SandboxException("posix_spawn_file_actions_init", Errno.EINVAL);
        }
        try {
            LIBC.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
            for (int i = 0; i < passFds.length; i++) {
                LIBC.posix_spawn_file_actions_adddup2(actions, passFds[i], 3 + i);
            }
            if (outFd >= 0) {
                LIBC.posix_spawn_file_actions_adddup2(actions, outFd, 1);
                LIBC.posix_spawn_file_actions_adddup2(actions, outFd, 2);
            }
            int[] pid = new int[1];
            List<ByteBuffer> keepAlive = new ArrayList<>();
            int rc = LIBC.posix_spawn(pid, path, actions, stringArray(argv, keepAlive), stringArray(env, keepAlive));
            if (rc != 0) {
                throw new SandboxException("spawn " + path, rc);
            }
            return pid[0];
        } finally {
            LIBC.posix_spawn_file_actions_destroy(actions);
        }
    }

    /** A NULL-terminated char* array; the strings stay reachable through {@code keepAlive}. */
    private static ByteBuffer stringArray(List<String> values, List<ByteBuffer> keepAlive) {
        ByteBuffer array = allocate((values.size() + 1) * POINTER_SIZE);
        for (int i = 0; i < values.size(); i++) {
            byte[] bytes = values.get(i).getBytes(StandardCharsets.UTF_8);
            ByteBuffer s = allocate(bytes.length + 1);
            s.put(0, bytes, 0, bytes.length);
            array.putLong(i * POINTER_SIZE, LIBC.address(s));
            keepAlive.add(s);
        }
        keepAlive.add(array);
        return array;
    }
}
