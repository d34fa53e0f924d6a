#define _GNU_SOURCE
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parse.h"

#define MAX_GROUPS 64
#define MAX_RLIMITS 64

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct exec_desc {
    struct exec_strings strings; /* argv and envp, sized to what the message (and its memfd) held */
    char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t groups[MAX_GROUPS];
    int ngroups; /* -1: leave supplementary groups alone (setgroups is denied) */
    struct caps caps;
    struct rlimit_setting rlimits[MAX_RLIMITS];
    int nrlimits;
    int new_session;
    int no_new_privs;
    const unsigned char *filter;
    uint32_t filter_len;
    int notify;
};

/*
 * What the child hands back. Normally the child runs in the init's memory (CLONE_VM) while the init waits
 * (CLONE_VFORK), so it writes its failure straight into this and the init reads it once the child has
 * exec'd or exited; nothing in the child may then call malloc or touch the init's other state. A forked
 * child (see needs_own_memory) sends its failure over status_sock instead.
 */
struct child_args {
    const struct exec_desc *d;
    const int *fds;
    int status_sock;
    int cap_last;
    int forked;
    struct failure failure;
};

/* Hands the failure in a->failure back (see struct child_args) and ends the child. */
static _Noreturn void child_failed(struct child_args *a) {
    if (a->failure.err == 0) a->failure.err = EIO;
    if (a->forked) {
        static struct msg report; /* our own copy of the init's memory: no one else reads it */
        msg_init(&report, K_EXEC_FAILED);
        msg_put_failure(&report, &a->failure);
        msg_send(a->status_sock, &report, NULL, 0);
    }
    _exit(127);
}

static _Noreturn void child_fail(struct child_args *a, const char *step, int err) {
    fail(&a->failure, err, "%s", step);
    child_failed(a);
}

/*
 * The filter the init loaded into itself (exec_hold_filter), or none: every process it starts inherits it. `bytes`
 * point into the K_CREATE message in the init's own copy of the server's memory, which nothing writes again.
 * Initialised, so it sits in .data, a page every init writes anyway, not in a page of .bss an idle init never
 * touches (InitFootprintTest).
 */
static struct {
    const unsigned char *bytes;
    uint32_t len;
    int listener; /* -1: the filter has none */
} held_filter = { .bytes = NULL, .len = 0, .listener = -1 };

int exec_hold_filter(const unsigned char *filter, uint32_t len, int notify, int *listener) {
    if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        errno = EINVAL;
        return -1;
    }
    struct sock_fprog prog = {
        .len = (unsigned short)(len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *)(void *)filter,
    };
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &prog);
    if (fd < 0) return -1;
    held_filter.bytes = filter;
    held_filter.len = len;
    held_filter.listener = notify ? (int)fd : -1;
    *listener = held_filter.listener;
    return 0;
}

/* A process whose filter is the one the init holds inherits it: loading it again would only stack a copy. */
static int inherits_filter(const struct exec_desc *d) {
    return d->filter != NULL && held_filter.bytes != NULL && d->filter_len == held_filter.len &&
        memcmp(d->filter, held_filter.bytes, held_filter.len) == 0;
}

static int parse(const struct msg *m, int argv_memfd, struct exec_desc *d, struct failure *f) {
    d->strings = (struct exec_strings){ 0 };
    d->cwd = NULL;
    d->uid = 0;
    d->gid = 0;
    d->ngroups = -1;
    d->caps = (struct caps){ 0 };
    d->nrlimits = 0;
    d->new_session = 0;
    d->no_new_privs = 0;
    d->filter = NULL;
    d->filter_len = 0;
    d->notify = 0;
    struct field argv_memfd_field = { 0 };
    size_t pos = 0;
    struct field fl;
    while (msg_next(m, &pos, &fl)) {
        switch (fl.tag) {
        case F_ARGV_MEMFD: argv_memfd_field = fl; break;
        case F_CWD:
            free(d->cwd);
            d->cwd = field_strdup(&fl);
            break;
        case F_UID: d->uid = field_u32(&fl); break;
        case F_GID: d->gid = field_u32(&fl); break;
        case F_GROUPS:
            if (parse_groups(&fl, d->groups, MAX_GROUPS, &d->ngroups, f) < 0) return -1;
            break;
        case F_CAPS:
            if (parse_caps(&fl, &d->caps, f) < 0) return -1;
            break;
        case F_RLIMIT:
            if (d->nrlimits == MAX_RLIMITS) return fail(f, E2BIG, "parse process: more than %d rlimits", MAX_RLIMITS);
            if (parse_rlimit(&fl, &d->rlimits[d->nrlimits++], f) < 0) return -1;
            break;
        case F_NEW_SESSION: d->new_session = (int)field_u32(&fl); break;
        case F_NO_NEW_PRIVS: d->no_new_privs = (int)field_u32(&fl); break;
        case F_SECCOMP:
            if (fl.len % sizeof(struct sock_filter) != 0) {
                return fail(f, EINVAL, "parse process: F_SECCOMP is %u bytes, not whole instructions", fl.len);
            }
            d->filter = fl.data;
            d->filter_len = fl.len;
            break;
        case F_SECCOMP_NOTIFY:
        case F_SECCOMP_BIND: d->notify = 1; break; /* either needs the listener */
        default: break;
        }
    }
    if (inherits_filter(d)) {
        d->filter = NULL; /* loaded in the init already: nothing to load, no listener to hand over */
        d->notify = 0;
    } else if (d->filter != NULL && d->notify && held_filter.listener >= 0) {
        /* Java and the keeper send the held filter's bytes; the kernel allows one listener per chain (EBUSY). */
        return fail(f, EBUSY, "load seccomp filter: the init holds the sandbox's filter with its listener");
    }
    /* A large process: its strings are in a sealed memfd (the message's last descriptor), mapped only while they are
     * copied. */
    const unsigned char *memfd = NULL;
    size_t memfd_len = 0;
    if (field_present(&argv_memfd_field)) {
        if (argv_memfd < 0) {
            return fail(f, EINVAL, "parse process: F_ARGV_MEMFD without its descriptor");
        }
        memfd_len = field_u32(&argv_memfd_field);
        if (map_sealed_memfd(argv_memfd, memfd_len, MAX_ARGV_MEMFD, &memfd, f) < 0) return -1;
    }
    int rc = parse_exec_strings(m, memfd, memfd_len, &d->strings, f);
    if (memfd != NULL) munmap((void *)memfd, memfd_len);
    if (rc < 0) {
        return -1;
    }
    if (d->cwd == NULL) {
        d->cwd = strdup("/");
    }
    return 0;
}

/* 0: the init kept the limit it was started with, which its children inherit. */
static unsigned long nofile_soft;

void exec_set_nofile_soft(unsigned long soft) {
    nofile_soft = soft;
}

/*
 * The limits of the spec, RLIMIT_NOFILE apart (`nofile` 0: all others; 1: only it). Sending a descriptor (the
 * seccomp listener) fails with ETOOMANYREFS when the sender's open-file limit is below the number of descriptors
 * its user has in flight on unix sockets anywhere on the machine, so a low limit is set only after that hand-over.
 */
static int apply_rlimits(const struct exec_desc *d, int nofile) {
    struct rlimit current;
    if (nofile && nofile_soft != 0 && getrlimit(RLIMIT_NOFILE, &current) == 0) {
        current.rlim_cur = nofile_soft; /* the usual value, not the one the init raised for forwarding */
        if (setrlimit(RLIMIT_NOFILE, &current) < 0) return -1;
    }
    for (int i = 0; i < d->nrlimits; i++) {
        if ((d->rlimits[i].resource == RLIMIT_NOFILE) != (nofile != 0)) continue;
        struct rlimit rl = { .rlim_cur = d->rlimits[i].soft, .rlim_max = d->rlimits[i].hard };
        if (setrlimit((int)d->rlimits[i].resource, &rl) < 0) return -1;
    }
    return 0;
}

/* A number from a /proc/sys file, or `fallback` when it cannot be read. */
static int read_sysctl(const char *path, int fallback) {
    char buf[16] = { 0 };
    int value = fallback;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, buf, sizeof buf - 1) > 0) value = atoi(buf);
        close(fd);
    }
    return value;
}

/* Read once, in the server (exec_prepare), so no sandbox opens /proc for it again. */
static int last_cap(void) {
    static int cached = -1;
    if (cached < 0) {
        cached = read_sysctl("/proc/sys/kernel/cap_last_cap", 40);
    }
    return cached;
}

/*
 * What the init's own bounding set still holds (bit n: capability n). Every PR_CAPBSET_DROP allocates and
 * commits new credentials, so a child dropping some 27 capabilities one by one took about 50 us per process
 * here; the init drops them once instead (narrow_own_bounding) and its children inherit the narrowed set.
 */
static uint64_t init_bounding = ~0ULL;

/*
 * In the init, before it starts a process: drops from its own bounding set what the process may not keep.
 * The bounding set only limits what a later execve grants; the init execs nothing after its first process
 * (hooks and fuse-overlayfs run before it) and keeps its effective and permitted sets. Every process of a
 * sandbox gets the same bounding set (its profile's), so after the first process this does nothing.
 */
static int narrow_own_bounding(const struct exec_desc *d, int cap_last, struct failure *f) {
    for (int cap = 0; cap <= cap_last && cap < 64; cap++) {
        uint64_t bit = 1ULL << cap;
        if (!(init_bounding & bit) || (d->caps.bounding & bit)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
            return fail(f, errno, "drop capability %d from the init's bounding set", cap);
        }
        init_bounding &= ~bit;
    }
    return 0;
}

/* Whether the process already has exactly these ids, so changing them would only commit equal credentials. */
static int has_ids(uid_t uid, gid_t gid) {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    return getresuid(&ruid, &euid, &suid) == 0 && getresgid(&rgid, &egid, &sgid) == 0 && ruid == uid && euid == uid &&
        suid == uid && rgid == gid && egid == gid && sgid == gid;
}

/* Drops the bounding set, switches identity, then sets the exact capability sets (inheritable and
 * ambient stay empty: CVE-2022-29162). */
static int apply_identity(const struct exec_desc *d, int cap_last, struct failure *f) {
    for (int cap = 0; cap <= cap_last && cap < 64; cap++) {
        uint64_t bit = 1ULL << cap;
        if ((d->caps.bounding & bit) && !(init_bounding & bit)) {
            return fail(f, EPERM,
                        "keep capability %d in the bounding set: an earlier process of this sandbox had a"
                        " smaller one",
                        cap);
        }
        if (!(d->caps.bounding & bit) && (init_bounding & bit) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
            errno != EINVAL) {
            return fail(f, errno, "drop capability from the bounding set");
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
        return fail(f, errno, "clear ambient capabilities");
    }
    /* Each of these commits new credentials even when nothing changes: skipped when nothing would. */
    int same_groups = d->ngroups == 0 && getgroups(0, NULL) == 0;
    if (d->ngroups >= 0 && !same_groups && setgroups((size_t)d->ngroups, d->groups) < 0) {
        return fail(f, errno, "setgroups");
    }
    int same_ids = has_ids(d->uid, d->gid);
    if (!same_ids && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
        return fail(f, errno, "keep capabilities across setuid");
    }
    if (!same_ids && setresgid(d->gid, d->gid, d->gid) < 0) {
        return fail(f, errno, "setresgid");
    }
    if (!same_ids && setresuid(d->uid, d->uid, d->uid) < 0) {
        return fail(f, errno, "setresuid");
    }
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = (uint32_t)d->caps.effective;
    data[1].effective = data[1].permitted = (uint32_t)(d->caps.effective >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0) {
        return fail(f, errno, "capset");
    }
    if (!same_ids && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
        return fail(f, errno, "reset keep-capabilities");
    }
    return 0;
}

static const char *env_path(char *const envp[]) {
    for (int i = 0; envp[i] != NULL; i++) {
        if (strncmp(envp[i], "PATH=", 5) == 0) return envp[i] + 5;
    }
    return NULL;
}

/* execve with a PATH search over the sandbox's own environment. Returns the most telling errno. */
static int exec_search(char *const argv[], char *const envp[]) {
    const char *file = argv[0];
    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    const char *path = env_path(envp);
    if (path == NULL) {
        return ENOENT;
    }
    int result = ENOENT;
    char candidate[4096];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        if (n == 0) {
            snprintf(candidate, sizeof candidate, "%s", file);
        } else {
            snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, path, file);
        }
        execve(candidate, argv, envp);
        if (errno == EACCES) {
            result = EACCES; /* found but not executable: keep looking, report it if nothing else runs */
        } else if (errno != ENOENT && errno != ENOTDIR) {
            return errno;
        }
        path = end ? end + 1 : path + n;
    }
    return result;
}

/*
 * Runs in the child, on its own stack but in the init's memory, until execve. Never returns. It runs under the
 * filter the init holds: a system call added here must be listed in InitCalls.java.
 */
static int child(void *arg) {
    struct child_args *a = arg;
    const struct exec_desc *d = a->d;
    const int *fds = a->fds;
    /* The server left every signal at its default except SIGPIPE, which it and the init ignore. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (d->new_session && setsid() < 0) child_fail(a, "setsid", errno);
    /* Move stdio out of the way first so dup2 onto 0..2 cannot clobber a source. */
    int high[3];
    for (int i = 0; i < 3; i++) {
        high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
        if (high[i] < 0) child_fail(a, "duplicate stdio", errno);
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(high[i], i) < 0) child_fail(a, "dup2 stdio", errno);
    }
    /* A pty given as stdin (sandboxed exec -t) becomes the new session's terminal, for job control and Ctrl-C. */
    if (d->new_session && isatty(0)) ioctl(0, TIOCSCTTY, 0);
    /* Only 0..2 reach the workload: everything else closes at execve. */
    if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) child_fail(a, "close_range", errno);
    int hand_over = d->filter != NULL && d->notify;
    if (apply_rlimits(d, 0) < 0 || (!hand_over && apply_rlimits(d, 1) < 0)) child_fail(a, "setrlimit", errno);
    if (apply_identity(d, a->cap_last, &a->failure) < 0) child_failed(a);
    if (chdir(d->cwd) < 0) {
        char step_buf[600];
        snprintf(step_buf, sizeof step_buf, "chdir %s", d->cwd);
        child_fail(a, step_buf, errno);
    }
    char cwd[4096];
    /* A working directory outside the root shows up as "(unreachable)" (CVE-2024-21626). */
    /* The raw syscall: glibc's getcwd falls back to a directory walk that mallocs, and the child may share
     * the init's heap. A path outside the root comes back as "(unreachable)/...". */
    if (syscall(SYS_getcwd, cwd, sizeof cwd) <= 0 || cwd[0] != '/')
        child_fail(a, "verify working directory is inside the root", EPERM);
    if (d->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(a, "set no_new_privs", errno);
    if (d->filter != NULL) {
        struct sock_fprog prog = {
            .len = (unsigned short)(d->filter_len / sizeof(struct sock_filter)),
            .filter = (struct sock_filter *)(void *)d->filter,
        };
        unsigned int flags = d->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
        long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (listener < 0) child_fail(a, "load seccomp filter", errno);
        if (d->notify) {
            /* Descriptors are not shared with the init (no CLONE_FILES): the listener travels as SCM_RIGHTS. */
            static struct msg started;
            int lfd = (int)listener;
            msg_init(&started, K_STARTED);
            msg_put_u32(&started, F_PID, (uint32_t)syscall(SYS_getpid)); /* whose it is (take_listener) */
            if (msg_send(a->status_sock, &started, &lfd, 1) < 0) child_fail(a, "hand over seccomp listener", errno);
            close(lfd);
        }
    }
    if (hand_over && apply_rlimits(d, 1) < 0) child_fail(a, "setrlimit RLIMIT_NOFILE", errno);
    int err = exec_search(d->strings.argv, d->strings.envp);
    char step_buf[600];
    snprintf(step_buf, sizeof step_buf, "execute %s", d->strings.argv[0]);
    child_fail(a, step_buf, err);
}

#define CHILD_STACK_SIZE (128 * 1024)
#define GUARD_SIZE 4096

/* The child's stack, made once in the server (exec_prepare) and inherited by every init; the child runs
 * while its init is suspended, so one is enough. The page below it is inaccessible, so an overflow faults
 * instead of overwriting the init's data. */
static char *child_stack_top(struct failure *f) {
    static char *top;
    if (top == NULL) {
        char *base = mmap(NULL, CHILD_STACK_SIZE + GUARD_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (base == MAP_FAILED) {
            fail(f, errno, "map the stack for starting processes");
            return NULL;
        }
        if (mprotect(base, GUARD_SIZE, PROT_NONE) < 0) {
            fail(f, errno, "protect the guard page of the process-start stack");
            munmap(base, CHILD_STACK_SIZE + GUARD_SIZE);
            return NULL;
        }
        top = base + GUARD_SIZE + CHILD_STACK_SIZE;
    }
    return top;
}

/* fs.suid_dumpable, read once in the server (exec_prepare): 0 (default), 1 (debug) or 2 (suidsafe, as
 * systemd-coredump sets it). */
static int suid_dumpable(void) {
    static int cached = -1;
    if (cached < 0) {
        cached = read_sysctl("/proc/sys/fs/suid_dumpable", 0);
    }
    return cached;
}

/*
 * A uid or gid change makes the kernel set the dumpable flag of the changing task's memory to
 * fs.suid_dumpable. With CLONE_VM that memory is the init's; at 1 ("debug") the init would become
 * ptrace-able by same-uid processes in the sandbox. Such a child gets its own memory (a plain fork).
 */
static int needs_own_memory(const struct exec_desc *d) {
    return (d->uid != getuid() || d->gid != getgid()) && suid_dumpable() == 1;
}

/*
 * One socketpair, made once, over which every process started with CLONE_VM hands its seccomp listener to
 * the init (one made per process, with its close, took about 20 us). The init's end does not block.
 */
static int handover[2] = { -1, -1 };

static int handover_socket(struct failure *f) {
    if (handover[0] >= 0) return 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, handover) < 0) {
        return fail(f, errno, "socketpair for handing over seccomp listeners");
    }
    if (fcntl(handover[0], F_SETFL, O_NONBLOCK) < 0) {
        int err = errno;
        close(handover[0]);
        close(handover[1]);
        handover[0] = handover[1] = -1;
        return fail(f, err, "make the listener hand-over socket non-blocking");
    }
    return 0;
}

/*
 * Once a child started with CLONE_VM has exec'd or exited: the listener it sent, or -1. The init is suspended
 * until then, so the socket holds at most that child's message; the pid check and closing anything else are
 * a defence should a drain ever stop early, so no listener is mistaken for a later child's.
 */
static int take_listener(pid_t pid) {
    static struct msg status;
    int found = -1;
    while (msg_recv(handover[0], &status) > 0) {
        struct field fl;
        if (found < 0 && msg_kind(&status) == K_STARTED && status.nfds == 1 && msg_find(&status, F_PID, &fl) &&
            (pid_t)field_u32(&fl) == pid) {
            found = status.fds[0];
        } else {
            msg_close_fds(&status);
        }
    }
    return found;
}

/*
 * Runs in the init, under the filter it holds (system calls added here go into InitCalls.java).
 * Starts a process the way posix_spawn does: clone(CLONE_VM | CLONE_VFORK) shares the init's memory
 * until execve, so no page tables are copied and neither side takes copy-on-write faults afterwards
 * (a plain fork cost about 0.8 ms here, most of the exec).
 */
static pid_t start_child(const struct exec_desc *d, const int fds[3], int *listener, struct failure *f) {
    int forked = needs_own_memory(d);
    if (narrow_own_bounding(d, last_cap(), f) < 0) {
        return -1;
    }
    char *stack = NULL;
    if (!forked && (stack = child_stack_top(f)) == NULL) {
        return -1;
    }
    int sv[2] = { -1, -1 };
    if (forked && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return fail(f, errno, "socketpair for starting a process");
    }
    if (!forked && d->notify && handover_socket(f) < 0) {
        return -1;
    }
    static struct child_args args;
    args = (struct child_args){
        .d = d, .fds = fds, .status_sock = forked ? sv[1] : handover[1], .cap_last = last_cap(), .forked = forked
    };
    args.failure.err = 0;
    pid_t pid;
    if (forked) {
        pid = fork();
        if (pid == 0) {
            close(sv[0]);
            child(&args);
        }
    } else {
        pid = clone(child, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
        int saved = errno;
        /* The child's uid change may have set our shared memory's dumpable flag: the init stays not dumpable. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        errno = saved;
    }
    int start_errno = errno;
    if (sv[1] >= 0) close(sv[1]);
    if (pid < 0) {
        if (sv[0] >= 0) close(sv[0]);
        return fail(f, start_errno, forked ? "fork the process" : "clone the process");
    }
    /* Here the child has exec'd (success) or exited, and said why: in args.failure, or over the socket. */
    if (!forked && d->notify) {
        *listener = take_listener(pid);
    }
    if (args.failure.err != 0) {
        if (sv[0] >= 0) close(sv[0]);
        if (*listener >= 0) {
            close(*listener);
            *listener = -1;
        }
        waitpid(pid, NULL, 0);
        return fail(f, args.failure.err, "%s", args.failure.step);
    }
    if (sv[0] < 0) {
        return pid;
    }
    /* EOF means execve succeeded: the child's end was close-on-exec. */
    static struct msg status;
    int failed = 0;
    while (msg_recv(sv[0], &status) > 0) {
        struct field fl;
        if (msg_kind(&status) == K_STARTED && status.nfds == 1) {
            *listener = status.fds[0];
        } else if (msg_kind(&status) == K_EXEC_FAILED) {
            char step[512] = "start process";
            if (msg_find(&status, F_STEP, &fl)) {
                snprintf(step, sizeof step, "%.*s", (int)fl.len, (const char *)fl.data);
            }
            fail(f, msg_find(&status, F_ERRNO, &fl) ? (int)field_u32(&fl) : EIO, "%s", step);
            failed = 1;
        }
    }
    close(sv[0]);
    if (failed) {
        if (*listener >= 0) {
            close(*listener);
            *listener = -1;
        }
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

int exec_suid_dumpable(void) {
    return suid_dumpable();
}

int exec_prepare(struct failure *f) {
    last_cap();
    suid_dumpable();
    return child_stack_top(f) == NULL ? -1 : 0;
}

pid_t exec_start(const struct msg *m, const int fds[3], int argv_memfd, int *listener, struct failure *f) {
    static struct exec_desc d;
    *listener = -1;
    pid_t pid = parse(m, argv_memfd, &d, f) < 0 ? -1 : start_child(&d, fds, listener, f);
    exec_strings_free(&d.strings);
    free(d.cwd);
    d.cwd = NULL;
    return pid;
}
