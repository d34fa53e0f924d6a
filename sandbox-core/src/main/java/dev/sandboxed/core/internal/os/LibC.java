package dev.sandboxed.core.internal.os;

import java.nio.ByteBuffer;

/**
 * The few libc calls the JVM lacks: socket pairs with descriptor passing, pipes, sealed memfds, spawning, signals.
 * {@link Native} picks the implementation when it loads: the JDK's foreign function API on Java 22 and newer
 * ({@code FfmLibC}, compiled from {@code src/main/java22}), jnr-ffi before ({@link JnrLibC}), so that jnr-ffi and its
 * JNI library are never loaded where the JDK can make the calls itself.
 *
 * <p>Pointer arguments are direct buffers in native byte order, read and written at absolute offsets from 0; a
 * pointer stored inside a structure comes from {@link #address}. Calls that fail with -1 leave the errno for
 * {@link #lastErrno()} of the calling thread.
 */
public interface LibC {
    /** The native address of a direct buffer, for pointers inside structures; the buffer must stay reachable. */
    long address(ByteBuffer direct);

    /** The errno of this thread's last failed call. */
    int lastErrno();

    /** Sets what {@link #lastErrno()} answers, for a helper that fails after a clean-up call. */
    void setLastErrno(int errno);

    int socketpair(int domain, int type, int protocol, int[] sv);

    long sendmsg(int fd, ByteBuffer msghdr, int flags);

    long recvmsg(int fd, ByteBuffer msghdr, int flags);

    int shutdown(int fd, int how);

    int socket(int domain, int type, int protocol);

    int bind(int fd, byte[] address, int length);

    int listen(int fd, int backlog);

    int connect(int fd, byte[] address, int length);

    /** accept4(2) without the peer's address. */
    int accept4(int fd, int flags);

    /** SO_PEERCRED of a unix socket: {@code struct ucred} (pid, uid, gid) as three ints. */
    int getsockopt(int fd, int level, int name, int[] value, int[] length);

    int getsockname(int fd, byte[] address, int[] length);

    int setsockopt(int fd, int level, int name, int[] value, int length);

    int poll(ByteBuffer fds, long nfds, int timeoutMillis);

    int close(int fd);

    long read(int fd, byte[] buffer, long count);

    int pipe2(int[] fds, int flags);

    int memfd_create(String name, int flags);

    long write(int fd, byte[] buffer, long count);

    /** fcntl(2) with an int argument. */
    int fcntl(int fd, int command, int argument);

    int open(String path, int flags, int mode);

    /** ioctl(2) whose argument points at {@code arg} (terminal attributes, window size, a pty's number or lock). */
    int ioctl(int fd, long request, ByteBuffer arg);

    /** openat(2) of a NUL-terminated name in the bytes the JVM names files with. */
    int openat(int dirfd, byte[] path, int flags, int mode);

    /** openat2(2), which glibc has no wrapper for: {@code how} is a {@code struct open_how} of {@code size} bytes. */
    long openat2(int dirfd, String path, ByteBuffer how, long size);

    int statx(int dirfd, String path, int flags, int mask, ByteBuffer statxbuf);

    /** name_to_handle_at(2): {@code handle} a {@code struct file_handle}, {@code mountId} an int. */
    int name_to_handle_at(int dirfd, String path, ByteBuffer handle, ByteBuffer mountId, int flags);

    int kill(int pid, int signal);

    int waitpid(int pid, int[] status, int options);

    /** posix_spawn(3) without attributes; the child's pid in {@code pid[0]}. */
    int posix_spawn(int[] pid, String path, ByteBuffer fileActions, ByteBuffer argv, ByteBuffer envp);

    int posix_spawn_file_actions_init(ByteBuffer fileActions);

    int posix_spawn_file_actions_adddup2(ByteBuffer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addopen(ByteBuffer fileActions, int fd, String path, int flags, int mode);

    int posix_spawn_file_actions_destroy(ByteBuffer fileActions);

    int gettid();

    int setpriority(int which, int who, int prio);

    /** pidfd_open(2), which glibc has no wrapper for here. */
    int pidfd_open(int pid, int flags);

    /** Image layers: whiteouts (character device 0:0, allowed unprivileged since Linux 5.8), FIFOs, devices as root. */
    int mknod(String path, int mode, long dev);

    /** Image layers: modes with the setuid, setgid and sticky bits, which the JDK cannot set. */
    int chmod(String path, int mode);

    /** Image layers: ownership, when running as real root (never follows a symbolic link). */
    int lchown(String path, int uid, int gid);

    /** Image layers: a directory's mode through a descriptor opened without following links. */
    int fchmod(int fd, int mode);

    /** Image layers: a directory's owner through a descriptor opened without following links. */
    int fchown(int fd, int uid, int gid);

    /** Image layers: a directory's times, {@code struct timespec[2]} (atime, mtime) as four longs. */
    int futimens(int fd, long[] times);
}
