package dev.sandboxed.core.internal.os;

import java.nio.ByteBuffer;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.byref.IntByReference;

/** {@link LibC} through jnr-ffi, for Java 17 to 21 (where the JDK has no final foreign function API). */
final class JnrLibC implements LibC {
    private static final String ASM_PROPERTY = "jnr.ffi.asm.enabled";
    private static final long SYS_OPENAT2 = 437; // the same on x86_64 and aarch64 (asm-generic numbering)
    private static final long SYS_PIDFD_OPEN = 434;

    private final Calls c;
    private final Runtime runtime;

    JnrLibC() {
        c = load();
        runtime = Runtime.getRuntime(c);
    }

    /**
     * On the module path this package is not exported, and jnr-ffi's generated classes (in a class loader of their
     * own) cannot implement Calls; its reflective loader (java.lang.reflect.Proxy) can. Chosen only there, and only
     * when nobody chose a loader already: the class path keeps the faster generated one.
     */
    private static Calls load() {
        if (JnrLibC.class.getModule().isNamed() && System.getProperty(ASM_PROPERTY) == null) {
            System.setProperty(ASM_PROPERTY, "false");
        }
        return LibraryLoader.create(Calls.class).load("c");
    }

    /** The calls as jnr-ffi binds them. */
    public interface Calls {
        @SaveError
        int socketpair(int domain, int type, int protocol, @Out int[] sv);

        @SaveError
        long sendmsg(int fd, Pointer msghdr, int flags);

        @SaveError
        long recvmsg(int fd, Pointer msghdr, int flags);

        @SaveError
        int shutdown(int fd, int how);

        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        int bind(int fd, @In byte[] address, int length);

        @SaveError
        int listen(int fd, int backlog);

        @SaveError
        int connect(int fd, @In byte[] address, int length);

        @SaveError
        int accept4(int fd, Pointer address, Pointer length, int flags);

        @SaveError
        int getsockopt(int fd, int level, int name, @Out int[] value, @In @Out int[] length);

        @SaveError
        int getsockname(int fd, @Out byte[] address, @In @Out int[] length);

        @SaveError
        int setsockopt(int fd, int level, int name, @In int[] value, int length);

        @SaveError
        int poll(Pointer fds, long nfds, int timeoutMillis);

        @SaveError
        int close(int fd);

        @SaveError
        long read(int fd, @Out byte[] buffer, long count);

        @SaveError
        int pipe2(@Out int[] fds, int flags);

        @SaveError
        int memfd_create(String name, int flags);

        @SaveError
        long write(int fd, @In byte[] buffer, long count);

        @SaveError
        @Variadic(fixedCount = 2)
        int fcntl(int fd, int command, int argument);

        @SaveError
        int open(String path, int flags, int mode);

        @SaveError
        @Variadic(fixedCount = 2)
        int ioctl(int fd, long request, Pointer arg);

        @SaveError
        int openat(int dirfd, @In byte[] path, int flags, int mode);

        @SaveError
        @Variadic(fixedCount = 1)
        long syscall(long number, long a1, String a2, Pointer a3, long a4);

        @SaveError
        int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf);

        @SaveError
        int name_to_handle_at(int dirfd, String path, Pointer handle, Pointer mountId, int flags);

        @SaveError
        int kill(int pid, int signal);

        @SaveError
        int waitpid(int pid, @Out int[] status, int options);

        @SaveError
        int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attributes, Pointer argv,
                Pointer envp);

        int posix_spawn_file_actions_init(Pointer fileActions);

        int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

        int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path, int flags, int mode);

        int posix_spawn_file_actions_destroy(Pointer fileActions);

        int gettid();

        @SaveError
        int setpriority(int which, int who, int prio);

        @SaveError
        int syscall(long number, int arg1, int arg2);

        @SaveError
        int mknod(String path, int mode, long dev);

        @SaveError
        int chmod(String path, int mode);

        @SaveError
        int lchown(String path, int uid, int gid);

        @SaveError
        int fchmod(int fd, int mode);

        @SaveError
        int fchown(int fd, int uid, int gid);

        @SaveError
        int futimens(int fd, @In long[] times);
    }

    private Pointer p(ByteBuffer buffer) {
        return buffer == null ? null : Pointer.wrap(runtime, buffer);
    }

    @Override
    public long address(ByteBuffer direct) {
        return Pointer.wrap(runtime, direct).address();
    }

    @Override
    public int lastErrno() {
        return runtime.getLastError();
    }

    @Override
    public void setLastErrno(int errno) {
        runtime.setLastError(errno);
    }

    @Override
    public int socketpair(int domain, int type, int protocol, int[] sv) {
        return c.socketpair(domain, type, protocol, sv);
    }

    @Override
    public long sendmsg(int fd, ByteBuffer msghdr, int flags) {
        return c.sendmsg(fd, p(msghdr), flags);
    }

    @Override
    public long recvmsg(int fd, ByteBuffer msghdr, int flags) {
        return c.recvmsg(fd, p(msghdr), flags);
    }

    @Override
    public int shutdown(int fd, int how) {
        return c.shutdown(fd, how);
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        return c.socket(domain, type, protocol);
    }

    @Override
    public int bind(int fd, byte[] address, int length) {
        return c.bind(fd, address, length);
    }

    @Override
    public int listen(int fd, int backlog) {
        return c.listen(fd, backlog);
    }

    @Override
    public int connect(int fd, byte[] address, int length) {
        return c.connect(fd, address, length);
    }

    @Override
    public int accept4(int fd, int flags) {
        return c.accept4(fd, null, null, flags);
    }

    @Override
    public int getsockopt(int fd, int level, int name, int[] value, int[] length) {
        return c.getsockopt(fd, level, name, value, length);
    }

    @Override
    public int getsockname(int fd, byte[] address, int[] length) {
        return c.getsockname(fd, address, length);
    }

    @Override
    public int setsockopt(int fd, int level, int name, int[] value, int length) {
        return c.setsockopt(fd, level, name, value, length);
    }

    @Override
    public int poll(ByteBuffer fds, long nfds, int timeoutMillis) {
        return c.poll(p(fds), nfds, timeoutMillis);
    }

    @Override
    public int close(int fd) {
        return c.close(fd);
    }

    @Override
    public long read(int fd, byte[] buffer, long count) {
        return c.read(fd, buffer, count);
    }

    @Override
    public int pipe2(int[] fds, int flags) {
        return c.pipe2(fds, flags);
    }

    @Override
    public int memfd_create(String name, int flags) {
        return c.memfd_create(name, flags);
    }

    @Override
    public long write(int fd, byte[] buffer, long count) {
        return c.write(fd, buffer, count);
    }

    @Override
    public int fcntl(int fd, int command, int argument) {
        return c.fcntl(fd, command, argument);
    }

    @Override
    public int open(String path, int flags, int mode) {
        return c.open(path, flags, mode);
    }

    @Override
    public int ioctl(int fd, long request, ByteBuffer arg) {
        return c.ioctl(fd, request, p(arg));
    }

    @Override
    public int openat(int dirfd, byte[] path, int flags, int mode) {
        return c.openat(dirfd, path, flags, mode);
    }

    @Override
    public long openat2(int dirfd, String path, ByteBuffer how, long size) {
        return c.syscall(SYS_OPENAT2, dirfd, path, p(how), size);
    }

    @Override
    public int statx(int dirfd, String path, int flags, int mask, ByteBuffer statxbuf) {
        return c.statx(dirfd, path, flags, mask, p(statxbuf));
    }

    @Override
    public int name_to_handle_at(int dirfd, String path, ByteBuffer handle, ByteBuffer mountId, int flags) {
        return c.name_to_handle_at(dirfd, path, p(handle), p(mountId), flags);
    }

    @Override
    public int kill(int pid, int signal) {
        return c.kill(pid, signal);
    }

    @Override
    public int waitpid(int pid, int[] status, int options) {
        return c.waitpid(pid, status, options);
    }

    @Override
    public int posix_spawn(int[] pid, String path, ByteBuffer fileActions, ByteBuffer argv, ByteBuffer envp) {
        IntByReference child = new IntByReference();
        int rc = c.posix_spawn(child, path, p(fileActions), null, p(argv), p(envp));
        pid[0] = child.intValue();
        return rc;
    }

    @Override
    public int posix_spawn_file_actions_init(ByteBuffer fileActions) {
        return c.posix_spawn_file_actions_init(p(fileActions));
    }

    @Override
    public int posix_spawn_file_actions_adddup2(ByteBuffer fileActions, int fd, int newFd) {
        return c.posix_spawn_file_actions_adddup2(p(fileActions), fd, newFd);
    }

    @Override
    public int posix_spawn_file_actions_addopen(ByteBuffer fileActions, int fd, String path, int flags, int mode) {
        return c.posix_spawn_file_actions_addopen(p(fileActions), fd, path, flags, mode);
    }

    @Override
    public int posix_spawn_file_actions_destroy(ByteBuffer fileActions) {
        return c.posix_spawn_file_actions_destroy(p(fileActions));
    }

    @Override
    public int gettid() {
        return c.gettid();
    }

    @Override
    public int setpriority(int which, int who, int prio) {
        return c.setpriority(which, who, prio);
    }

    @Override
    public int pidfd_open(int pid, int flags) {
        return c.syscall(SYS_PIDFD_OPEN, pid, flags);
    }

    @Override
    public int mknod(String path, int mode, long dev) {
        return c.mknod(path, mode, dev);
    }

    @Override
    public int chmod(String path, int mode) {
        return c.chmod(path, mode);
    }

    @Override
    public int lchown(String path, int uid, int gid) {
        return c.lchown(path, uid, gid);
    }

    @Override
    public int fchmod(int fd, int mode) {
        return c.fchmod(fd, mode);
    }

    @Override
    public int fchown(int fd, int uid, int gid) {
        return c.fchown(fd, uid, gid);
    }

    @Override
    public int futimens(int fd, long[] times) {
        return c.futimens(fd, times);
    }
}
