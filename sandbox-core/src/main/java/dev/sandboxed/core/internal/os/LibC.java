package dev.sandboxed.core.internal.os;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.byref.IntByReference;

/** The few libc calls the JVM lacks: socket pairs with descriptor passing, pipes, sealed memfds, spawning, signals. */
public interface LibC {
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

    /** SO_PEERCRED of a unix socket: {@code struct ucred} (pid, uid, gid) as three ints. */
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

    /** openat(2) of a NUL-terminated name in the bytes the JVM names files with. */
    @SaveError
    int openat(int dirfd, @In byte[] path, int flags, int mode);

    /** syscall(2), for calls glibc has no wrapper for (openat2). */
    @SaveError
    @Variadic(fixedCount = 1)
    long syscall(long number, long a1, String a2, Pointer a3, long a4);

    @SaveError
    int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf);

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

    int getuid();

    int getgid();

    int geteuid();

    int gettid();

    @SaveError
    int setpriority(int which, int who, int prio);

    int getpid();

    /** For system calls libc has no wrapper for here (pidfd_open). */
    @SaveError
    int syscall(long number, int arg1, int arg2);


    /** Image layers: whiteouts (character device 0:0, allowed unprivileged since Linux 5.8), FIFOs, devices as root. */
    @SaveError
    int mknod(String path, int mode, long dev);

    /** Image layers: modes with the setuid, setgid and sticky bits, which the JDK cannot set. */
    @SaveError
    int chmod(String path, int mode);

    /** Image layers: ownership, when running as real root (never follows a symbolic link). */
    @SaveError
    int lchown(String path, int uid, int gid);

    /** Image layers: a directory's mode through a descriptor opened without following links. */
    @SaveError
    int fchmod(int fd, int mode);

    /** Image layers: a directory's owner through a descriptor opened without following links. */
    @SaveError
    int fchown(int fd, int uid, int gid);

    /** Image layers: a directory's times, {@code struct timespec[2]} (atime, mtime) as four longs. */
    @SaveError
    int futimens(int fd, @In long[] times);
}
