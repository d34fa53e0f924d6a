package dev.sandboxed.core.internal.seccomp;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The system calls sandbox-init makes once it holds its sandbox's filter (native-init's init.c, from
 * {@code hold_filter} on: its loop, port forwarding, a starting process up to execve, and glibc's abort), with the
 * arguments a filter may judge. The init loads the filter into itself only when the compiled program allows every
 * one of them and judges no other argument: a refusal there would stop the init (with denial reports, it would wait
 * for an answer only it could give). The C code marks where its calls must be listed here. A filter that sends
 * bind(2) and connect(2) to the init for the port bypass is never held: the init's own connects would wait on it.
 */
public final class InitCalls {
    /** One call: the names it has (glibc uses whichever the architecture has), and its arguments. */
    private record Call(List<String> names, long... args) {
    }

    private static final long SIGCHLD = 17;
    private static final long CLONE_VM_VFORK = 0x00000100 | 0x00004000 | SIGCHLD;
    private static final long CLONE_FORK = 0x00200000 | 0x01000000 | SIGCHLD; // CHILD_CLEARTID | CHILD_SETTID
    private static final long AF_UNIX = 1;
    private static final long AF_INET = 2;
    private static final long AF_INET6 = 10;
    private static final long NONBLOCK_CLOEXEC = 0x800 | 0x80000;

    private static final List<Call> CALLS = List.of(
            // the loop: messages, signals, exits, denial notifications
            call("poll", "ppoll"), call("read"), call("wait4"), call("kill"), call("getpid"), call("exit_group"),
            call("exit"), call("sendmsg"), call("sendto"), call("recvmsg"), call("recvfrom"), call("close"),
            call("openat"), call("newfstatat"), call("getdents64"), call("statfs"), call("readlink", "readlinkat"),
            call("sched_yield"), call("brk"), call("mmap"), call("munmap"), call("restart_syscall"),
            call("mincore"), call("madvise"), // giving set-up's stack back, right after the load
            call("clock_gettime"), call("getuid"), call("getgid"), call("fstat"),
            call("writev"), call("gettid"), call("tgkill"), // abort (fortify, stack protector): a crash, not a hang
            call("ioctl", 3, 0xC0502100L), call("ioctl", 3, 0xC0182101L), // SECCOMP_IOCTL_NOTIF_RECV, _SEND
            call("prctl", 1, 0), call("prctl", 4, 0), call("prctl", 24, 0), // PDEATHSIG, SET_DUMPABLE, CAPBSET_DROP
            // starting a process: the clone, then the child up to execve
            call("clone", CLONE_VM_VFORK), call("clone", CLONE_FORK), call("set_robust_list"),
            call("socketpair", AF_UNIX, 5 | 0x80000), // SOCK_SEQPACKET | SOCK_CLOEXEC
            call("rt_sigaction"), call("rt_sigprocmask"), call("setsid"), call("dup2", "dup3"), call("close_range"),
            call("ioctl", 0, 0x5401), call("ioctl", 0, 0x540E), // TCGETS (isatty), TIOCSCTTY
            call("prlimit64"), call("getgroups"), call("setgroups"), call("getresuid"), call("getresgid"),
            call("setresgid"), call("setresuid"), call("capget"), call("capset"), call("chdir"), call("getcwd"),
            // PR_CAP_AMBIENT clear all, PR_SET_KEEPCAPS on and off, PR_SET_NO_NEW_PRIVS
            call("prctl", 47, 4), call("prctl", 8, 1), call("prctl", 8, 0), call("prctl", 38, 1),
            call("execve"),
            // fcntl: F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ, F_GET_SEALS
            call("fcntl", 3, 3), call("fcntl", 3, 4), call("fcntl", 3, 1030), call("fcntl", 3, 1031),
            call("fcntl", 3, 1032), call("fcntl", 3, 1034),
            // port forwarding
            call("epoll_create1"), call("epoll_ctl"), call("epoll_wait", "epoll_pwait"), call("accept4"),
            call("socket", AF_INET, 1 | NONBLOCK_CLOEXEC), call("socket", AF_INET6, 1 | NONBLOCK_CLOEXEC),
            call("socket", AF_INET, 2 | NONBLOCK_CLOEXEC), call("connect"), call("pipe2"), call("splice"),
            call("shutdown"), call("getpeername"), call("getsockopt", 3, 1, 4), // SO_ERROR
            call("setsockopt", 3, 1, 13)); // SO_LINGER

    /**
     * The answer for each filter, as each start asks: about a hundred runs of the program (6 us warm, far more before
     * the JIT) would otherwise be on every start's path. Filters are compared by content, and few distinct ones exist.
     */
    private static final Map<SeccompFilter, Boolean> ANSWERS = new ConcurrentHashMap<>();

    private InitCalls() {
    }

    /** Every name of every call, for a test's profile that allows exactly these. */
    static Set<String> names() {
        Set<String> names = new TreeSet<>();
        CALLS.forEach(call -> names.addAll(call.names()));
        return names;
    }

    private static Call call(String name, long... args) {
        return new Call(List.of(name), args);
    }

    private static Call call(String name, String elsewhere) {
        return new Call(List.of(name, elsewhere));
    }

    /**
     * Whether the init may hold {@code filter}: it allows each call under every name the architecture has for it,
     * judges no argument this list leaves out, and sends no bind(2) to the init.
     */
    public static boolean allowedBy(SeccompFilter filter) {
        return ANSWERS.computeIfAbsent(filter, InitCalls::check);
    }

    private static boolean check(SeccompFilter filter) {
        if (filter.notifyBind()) {
            return false;
        }
        SyscallTable table = SyscallTable.of(filter.arch());
        try {
            for (Call call : CALLS) {
                for (String name : call.names()) {
                    OptionalInt nr = table.numberOf(name);
                    if (nr.isPresent() && !allows(filter, nr.getAsInt(), call.args())) {
                        return false;
                    }
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false; // a program the interpreter cannot run: each process loads it, as the kernel accepted it
        }
    }

    private static boolean allows(SeccompFilter filter, int nr, long[] args) {
        BpfInterpreter.Result result =
                BpfInterpreter.run(filter.program(), SeccompData.of(filter.arch().auditArch(), nr, args));
        SeccompAction.Kind kind = result.action().kind();
        boolean judgesOthers = (result.argumentsRead() >>> args.length) != 0;
        return (kind == SeccompAction.Kind.ALLOW || kind == SeccompAction.Kind.LOG) && !judgesOthers;
    }
}
