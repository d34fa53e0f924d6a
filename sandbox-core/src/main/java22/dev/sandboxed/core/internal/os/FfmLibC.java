package dev.sandboxed.core.internal.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link LibC} through the JDK's foreign function and memory API (Java 22+): no JNI library, no
 * {@code sun.misc.Unsafe}. Compiled from {@code src/main/java22} by a JDK 22+ build only, and loaded by name from
 * {@link NativeLibrary}. Like any caller of {@link Linker#downcallHandle}, it needs native access for its module
 * ({@code --enable-native-access=ALL-UNNAMED} on the class path, {@code =dev.sandboxed.core} on the module path),
 * or the JDK prints a warning once.
 *
 * <p>Arrays and strings are copied through a per-thread scratch segment (a thread makes one call at a time), and
 * errno is captured per call into a per-thread segment, as jnr-ffi's {@code @SaveError} does.
 */
@SuppressWarnings("restricted") // the downcall handles: native access is the point of this class
final class FfmLibC implements LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final long SYS_OPENAT2 = 437; // the same on x86_64 and aarch64 (asm-generic numbering)
    private static final long SYS_PIDFD_OPEN = 434;
    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

    private static final MethodHandle SOCKETPAIR = errno("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SENDMSG = errno("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVMSG = errno("recvmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SHUTDOWN = errno("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SOCKET = errno("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle BIND = errno("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = errno("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CONNECT = errno("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle ACCEPT4 = errno("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKOPT =
            errno("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle GETSOCKNAME = errno("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle SETSOCKOPT =
            errno("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle POLL = errno("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle CLOSE = errno("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle READ = errno("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle PIPE2 = errno("pipe2", JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle MEMFD_CREATE = errno("memfd_create", JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle WRITE = errno("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle FCNTL = handle("fcntl", true, 2, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle OPEN = handle("open", true, 2, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle IOCTL = handle("ioctl", true, 2, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle OPENAT = handle("openat", true, 3, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle SYSCALL_OPENAT2 =
            handle("syscall", true, 1, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG);
    private static final MethodHandle SYSCALL_2 = handle("syscall", true, 1, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle STATX = errno("statx", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle NAME_TO_HANDLE_AT =
            errno("name_to_handle_at", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle KILL = errno("kill", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle WAITPID = errno("waitpid", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle POSIX_SPAWN =
            errno("posix_spawn", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle FA_INIT = plain("posix_spawn_file_actions_init", JAVA_INT, ADDRESS);
    private static final MethodHandle FA_ADDDUP2 =
            plain("posix_spawn_file_actions_adddup2", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle FA_ADDOPEN =
            plain("posix_spawn_file_actions_addopen", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle FA_DESTROY = plain("posix_spawn_file_actions_destroy", JAVA_INT, ADDRESS);
    private static final MethodHandle GETTID = plain("gettid", JAVA_INT);
    private static final MethodHandle SETPRIORITY = errno("setpriority", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle MKNOD = errno("mknod", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG);
    private static final MethodHandle CHMOD = errno("chmod", JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LCHOWN = errno("lchown", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle FCHMOD = errno("fchmod", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle FCHOWN = errno("fchown", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle FUTIMENS = errno("futimens", JAVA_INT, JAVA_INT, ADDRESS);

    FfmLibC() {
    }

    /** A call that saves errno: its handle takes the capture segment first. */
    private static MethodHandle errno(String name, MemoryLayout result, MemoryLayout... arguments) {
        return handle(name, true, -1, result, arguments);
    }

    private static MethodHandle plain(String name, MemoryLayout result, MemoryLayout... arguments) {
        return handle(name, false, -1, result, arguments);
    }

    private static MethodHandle handle(String name, boolean saveErrno, int firstVariadic, MemoryLayout result,
            MemoryLayout... arguments) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        List<Linker.Option> options = new ArrayList<>();
        if (saveErrno) {
            options.add(Linker.Option.captureCallState("errno"));
        }
        if (firstVariadic >= 0) {
            options.add(Linker.Option.firstVariadicArg(firstVariadic));
        }
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(result, arguments),
                options.toArray(Linker.Option[]::new));
    }

    /** One thread's errno capture and scratch memory. */
    private static final class PerThread {
        final MemorySegment errno = Arena.ofAuto().allocate(CAPTURE);
        MemorySegment scratch = Arena.ofAuto().allocate(4096, 16);

        /** An allocator of at least {@code size} bytes (16 per allocation for alignment), valid until the next. */
        SegmentAllocator scratch(long size) {
            if (size > scratch.byteSize()) {
                scratch = Arena.ofAuto().allocate(Math.max(size, 2 * scratch.byteSize()), 16);
            }
            return SegmentAllocator.slicingAllocator(scratch);
        }
    }

    private static MemorySegment errnoState() {
        return PER_THREAD.get().errno;
    }

    private static SegmentAllocator scratch(long size) {
        return PER_THREAD.get().scratch(size + 64);
    }

    private static MemorySegment segment(ByteBuffer buffer) {
        return buffer == null ? MemorySegment.NULL : MemorySegment.ofBuffer(buffer);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A NUL-terminated copy of {@code bytes} (which may already end with NUL). */
    private static MemorySegment cString(SegmentAllocator scratch, byte[] bytes) {
        MemorySegment s = scratch.allocate(bytes.length + 1L, 16);
        MemorySegment.copy(bytes, 0, s, JAVA_BYTE, 0, bytes.length);
        s.set(JAVA_BYTE, bytes.length, (byte) 0);
        return s;
    }

    private static MemorySegment ints(SegmentAllocator scratch, int[] values) {
        MemorySegment s = scratch.allocate(values.length * 4L, 16);
        MemorySegment.copy(values, 0, s, JAVA_INT, 0, values.length);
        return s;
    }

    private static void copyBack(MemorySegment from, int[] to) {
        MemorySegment.copy(from, JAVA_INT, 0, to, 0, to.length);
    }

    private static RuntimeException failed(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public long address(ByteBuffer direct) {
        return MemorySegment.ofBuffer(direct).address();
    }

    @Override
    public int lastErrno() {
        return errnoState().get(JAVA_INT, ERRNO_OFFSET);
    }

    @Override
    public void setLastErrno(int errno) {
        errnoState().set(JAVA_INT, ERRNO_OFFSET, errno);
    }

    @Override
    public int socketpair(int domain, int type, int protocol, int[] sv) {
        try {
            MemorySegment out = scratch(sv.length * 4L).allocate(sv.length * 4L, 16);
            int rc = (int) SOCKETPAIR.invokeExact(errnoState(), domain, type, protocol, out);
            copyBack(out, sv);
            return rc;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long sendmsg(int fd, ByteBuffer msghdr, int flags) {
        try {
            return (long) SENDMSG.invokeExact(errnoState(), fd, segment(msghdr), flags);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long recvmsg(int fd, ByteBuffer msghdr, int flags) {
        try {
            return (long) RECVMSG.invokeExact(errnoState(), fd, segment(msghdr), flags);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int shutdown(int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(errnoState(), fd, how);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(errnoState(), domain, type, protocol);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int bind(int fd, byte[] address, int length) {
        try {
            MemorySegment a = cString(scratch(address.length), address);
            return (int) BIND.invokeExact(errnoState(), fd, a, length);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int listen(int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(errnoState(), fd, backlog);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int connect(int fd, byte[] address, int length) {
        try {
            MemorySegment a = cString(scratch(address.length), address);
            return (int) CONNECT.invokeExact(errnoState(), fd, a, length);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int accept4(int fd, int flags) {
        try {
            return (int) ACCEPT4.invokeExact(errnoState(), fd, MemorySegment.NULL, MemorySegment.NULL, flags);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int getsockopt(int fd, int level, int name, int[] value, int[] length) {
        try {
            SegmentAllocator scratch = scratch(value.length * 4L + 16);
            MemorySegment v = ints(scratch, value);
            MemorySegment l = ints(scratch, length);
            int rc = (int) GETSOCKOPT.invokeExact(errnoState(), fd, level, name, v, l);
            copyBack(v, value);
            copyBack(l, length);
            return rc;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int getsockname(int fd, byte[] address, int[] length) {
        try {
            SegmentAllocator scratch = scratch(address.length + 16L);
            MemorySegment a = scratch.allocate(address.length, 16);
            MemorySegment l = ints(scratch, length);
            int rc = (int) GETSOCKNAME.invokeExact(errnoState(), fd, a, l);
            MemorySegment.copy(a, JAVA_BYTE, 0, address, 0, address.length);
            copyBack(l, length);
            return rc;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int setsockopt(int fd, int level, int name, int[] value, int length) {
        try {
            MemorySegment v = ints(scratch(value.length * 4L), value);
            return (int) SETSOCKOPT.invokeExact(errnoState(), fd, level, name, v, length);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int poll(ByteBuffer fds, long nfds, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(errnoState(), segment(fds), nfds, timeoutMillis);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(errnoState(), fd);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long read(int fd, byte[] buffer, long count) {
        try {
            MemorySegment b = scratch(count).allocate(count, 16);
            long n = (long) READ.invokeExact(errnoState(), fd, b, count);
            if (n > 0) {
                MemorySegment.copy(b, JAVA_BYTE, 0, buffer, 0, (int) n);
            }
            return n;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int pipe2(int[] fds, int flags) {
        try {
            MemorySegment out = scratch(fds.length * 4L).allocate(fds.length * 4L, 16);
            int rc = (int) PIPE2.invokeExact(errnoState(), out, flags);
            copyBack(out, fds);
            return rc;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int memfd_create(String name, int flags) {
        try {
            byte[] bytes = utf8(name);
            return (int) MEMFD_CREATE.invokeExact(errnoState(), cString(scratch(bytes.length), bytes), flags);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long write(int fd, byte[] buffer, long count) {
        try {
            MemorySegment b = scratch(count).allocate(count, 16);
            MemorySegment.copy(buffer, 0, b, JAVA_BYTE, 0, (int) count);
            return (long) WRITE.invokeExact(errnoState(), fd, b, count);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int fcntl(int fd, int command, int argument) {
        try {
            return (int) FCNTL.invokeExact(errnoState(), fd, command, argument);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int open(String path, int flags, int mode) {
        try {
            byte[] bytes = utf8(path);
            return (int) OPEN.invokeExact(errnoState(), cString(scratch(bytes.length), bytes), flags, mode);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int openat(int dirfd, byte[] path, int flags, int mode) {
        try {
            return (int) OPENAT.invokeExact(errnoState(), dirfd, cString(scratch(path.length), path), flags, mode);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long openat2(int dirfd, String path, ByteBuffer how, long size) {
        try {
            byte[] bytes = utf8(path);
            MemorySegment p = cString(scratch(bytes.length), bytes);
            return (long) SYSCALL_OPENAT2.invokeExact(errnoState(), SYS_OPENAT2, (long) dirfd, p, segment(how), size);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int ioctl(int fd, long request, ByteBuffer arg) {
        try {
            return (int) IOCTL.invokeExact(errnoState(), fd, request, segment(arg));
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int statx(int dirfd, String path, int flags, int mask, ByteBuffer statxbuf) {
        try {
            byte[] bytes = utf8(path);
            MemorySegment p = cString(scratch(bytes.length), bytes);
            return (int) STATX.invokeExact(errnoState(), dirfd, p, flags, mask, segment(statxbuf));
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int name_to_handle_at(int dirfd, String path, ByteBuffer handle, ByteBuffer mountId, int flags) {
        try {
            byte[] bytes = utf8(path);
            MemorySegment p = cString(scratch(bytes.length), bytes);
            return (int) NAME_TO_HANDLE_AT.invokeExact(errnoState(), dirfd, p, segment(handle), segment(mountId),
                    flags);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int kill(int pid, int signal) {
        try {
            return (int) KILL.invokeExact(errnoState(), pid, signal);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int waitpid(int pid, int[] status, int options) {
        try {
            MemorySegment s = scratch(4).allocate(4, 16);
            int rc = (int) WAITPID.invokeExact(errnoState(), pid, s, options);
            copyBack(s, status);
            return rc;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posix_spawn(int[] pid, String path, ByteBuffer fileActions, ByteBuffer argv, ByteBuffer envp) {
        try {
            byte[] bytes = utf8(path);
            SegmentAllocator scratch = scratch(bytes.length + 16L);
            MemorySegment child = scratch.allocate(4, 16);
            MemorySegment p = cString(scratch, bytes);
            int rc = (int) POSIX_SPAWN.invokeExact(errnoState(), child, p, segment(fileActions), MemorySegment.NULL,
                    segment(argv), segment(envp));
            pid[0] = child.get(JAVA_INT, 0);
            return rc;
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posix_spawn_file_actions_init(ByteBuffer fileActions) {
        try {
            return (int) FA_INIT.invokeExact(segment(fileActions));
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posix_spawn_file_actions_adddup2(ByteBuffer fileActions, int fd, int newFd) {
        try {
            return (int) FA_ADDDUP2.invokeExact(segment(fileActions), fd, newFd);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posix_spawn_file_actions_addopen(ByteBuffer fileActions, int fd, String path, int flags, int mode) {
        try {
            byte[] bytes = utf8(path); // glibc copies the path
            return (int) FA_ADDOPEN.invokeExact(segment(fileActions), fd, cString(scratch(bytes.length), bytes), flags,
                    mode);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posix_spawn_file_actions_destroy(ByteBuffer fileActions) {
        try {
            return (int) FA_DESTROY.invokeExact(segment(fileActions));
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int setpriority(int which, int who, int prio) {
        try {
            return (int) SETPRIORITY.invokeExact(errnoState(), which, who, prio);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int pidfd_open(int pid, int flags) {
        try {
            return (int) (long) SYSCALL_2.invokeExact(errnoState(), SYS_PIDFD_OPEN, (long) pid, (long) flags);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int mknod(String path, int mode, long dev) {
        try {
            byte[] bytes = utf8(path);
            return (int) MKNOD.invokeExact(errnoState(), cString(scratch(bytes.length), bytes), mode, dev);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int chmod(String path, int mode) {
        try {
            byte[] bytes = utf8(path);
            return (int) CHMOD.invokeExact(errnoState(), cString(scratch(bytes.length), bytes), mode);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int lchown(String path, int uid, int gid) {
        try {
            byte[] bytes = utf8(path);
            return (int) LCHOWN.invokeExact(errnoState(), cString(scratch(bytes.length), bytes), uid, gid);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int fchmod(int fd, int mode) {
        try {
            return (int) FCHMOD.invokeExact(errnoState(), fd, mode);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int fchown(int fd, int uid, int gid) {
        try {
            return (int) FCHOWN.invokeExact(errnoState(), fd, uid, gid);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int futimens(int fd, long[] times) {
        try {
            MemorySegment t = scratch(times.length * 8L).allocate(times.length * 8L, 16);
            MemorySegment.copy(times, 0, t, JAVA_LONG, 0, times.length);
            return (int) FUTIMENS.invokeExact(errnoState(), fd, t);
        } catch (Throwable t) {
            throw failed(t);
        }
    }
}
