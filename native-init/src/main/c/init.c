#define _GNU_SOURCE
#include "init.h"
#include "setup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bypass.h"
#include "sockcall.h"
#include "exec.h"
#include "forward.h"
#include "hooks.h"
#include "msg.h"
#include "parse.h"

#define MAX_PROCS 1024
/* One per exec'd process whose filter notifies (the bypass, denial reports): as many as processes, or the
 * processes past the limit would get ENOSYS from every bind and connect. */
#define MAX_LISTENERS MAX_PROCS
#define MAX_DENIALS 256

struct proc {
    uint32_t exec_id;
    pid_t pid;
    int main;
};

struct denial {
    uint32_t arch;
    uint32_t nr;
    uint64_t count;
};

static struct proc procs[MAX_PROCS];
static int nprocs;
/* A seccomp listener and how to answer it; one array of them, so the few in use share a page of memory. */
struct listener {
    int fd;
    uint32_t err;  /* the errno a denial gets */
    unsigned kind; /* LISTENER_*: what its notifications are */
};
#define LISTENER_DENIALS 1 /* F_SECCOMP_NOTIFY: denials, counted and answered with err */
#define LISTENER_BIND 2    /* F_SECCOMP_BIND: bind(2) and connect(2) calls for the port bypass */
static struct listener listeners[MAX_LISTENERS];
static int nlisteners;
/* The listener of the filter the init holds (hold_filter), answered like the others; initialised, so it sits in
 * .data beside control_fd, a page every init writes anyway, rather than dirtying a page of listeners. */
static struct listener held = { .fd = -1, .err = ENOSYS, .kind = LISTENER_DENIALS };
static struct denial denials[MAX_DENIALS];
static int ndenials;
static int denials_dirty;
static int control_fd = -1;
/* The init's stdio: the host's /dev/null, which the server opened in the host's mount namespace (server.c), so
 * neither the spec's mounts nor a hook can change it. The streams a K_EXEC names in F_STDIO_NULL get it, which
 * spares the JVM opening it and passing it in; they share one open file (flags, locks), as /dev/null allows. */
#define INIT_DEVNULL 0
static struct msg in;
static struct msg out;
static int in_truncated; /* in lost its descriptors (MSG_CTRUNC) */
/* K_HOST_CONNECT requests waiting for room in the control socket: forwarding never blocks on a busy JVM. */
static struct outbox asks;

/* A process of the sandbox that still runs (not a zombie), read from its /proc/N/stat. */
static int running(DIR *proc, const char *name) {
    char path[sizeof((struct dirent *)0)->d_name + 8];
    snprintf(path, sizeof path, "%s/stat", name);
    int fd = openat(dirfd(proc), path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char stat[128];
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0) return 0;
    stat[n] = '\0';
    char *end = strrchr(stat, ')');
    return end != NULL && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

/*
 * SIGKILL, which the fuse-overlayfs daemon cannot ignore, to every process but it (and us), read from /proc; passes
 * until one finds nothing running, for children forked while the previous pass read. -1 without our own /proc.
 */
static int kill_all_but_daemon(void) {
    struct statfs fs;
    char self[16];
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    /* procfs of our pid namespace, not something the sandbox mounted over it */
    if (statfs("/proc", &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC || n != 1 || self[0] != '1') return -1;
    for (int pass = 0; pass < 100; pass++) {
        DIR *proc = opendir("/proc");
        if (proc == NULL) return -1;
        int found = 0;
        struct dirent *e;
        while ((e = readdir(proc)) != NULL) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end != '\0' || pid <= 1 || pid == sandbox_fuse_daemon || !running(proc, e->d_name)) continue;
            kill((pid_t)pid, SIGKILL);
            found = 1;
        }
        closedir(proc);
        if (!found) return 0;
        sched_yield();
    }
    return 0;
}

/* In our own pid namespace kill(-1) reaches exactly the sandbox; without one it would reach every
 * process of this user on the host, so then only the processes we started are signalled. */
static void signal_all(int sig) {
    if (getpid() == 1) {
        if (sandbox_fuse_daemon > 0 && sig == SIGKILL && kill_all_but_daemon() == 0) {
            return;
        }
        kill(-1, sig); /* the fuse-overlayfs daemon ignores every signal it can */
        if (sandbox_fuse_daemon > 0 && sig == SIGSTOP) {
            kill(sandbox_fuse_daemon, SIGCONT);
        }
        return;
    }
    for (int i = 0; i < nprocs; i++) {
        kill(procs[i].pid, sig);
    }
}

static void terminate(int code) __attribute__((noreturn));
static void terminate(int code) {
    if (getpid() == 1) {
        kill(-1, SIGKILL); /* the daemon too: the sandbox ends */
    } else {
        signal_all(SIGKILL);
    }
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    _exit(code);
}

static void send_or_die(void) {
    if (msg_send(control_fd, &out, NULL, 0) < 0) {
        terminate(125); /* Java is gone: nothing of the sandbox may outlive it */
    }
}

static void report_failure(uint32_t kind, uint32_t exec_id, const struct failure *f) {
    msg_init(&out, kind);
    msg_put_u32(&out, F_EXEC_ID, exec_id);
    msg_put_failure(&out, f);
    send_or_die();
}

static void send_denials(void) {
    if (!denials_dirty) return;
    msg_init(&out, K_DENIALS);
    for (int i = 0; i < ndenials; i++) {
        unsigned char value[DENIAL_LEN];
        encode_denial(value, denials[i].arch, denials[i].nr, denials[i].count);
        msg_put(&out, F_DENIAL, value, sizeof value);
    }
    denials_dirty = 0;
    send_or_die();
}

static void handle_exec(void) {
    struct field fl;
    uint32_t exec_id = msg_find(&in, F_EXEC_ID, &fl) ? field_u32(&fl) : 0;
    int is_main = msg_find(&in, F_MAIN, &fl) && field_u32(&fl);
    struct failure f = { 0 };
    int null_valid = 1;
    uint32_t null_streams = 0;
    if (msg_find(&in, F_STDIO_NULL, &fl)) {
        null_valid = fl.len == 4 && field_u32(&fl) <= 7;
        null_streams = null_valid ? field_u32(&fl) : 0;
    }
    int has_memfd = msg_find(&in, F_ARGV_MEMFD, &fl);
    int expected_fds = 3 - __builtin_popcount(null_streams) + has_memfd; /* and a large process's memfd */
    if (!null_valid) {
        fail(&f, EINVAL, "start process: F_STDIO_NULL must be a u32 of stdin (1), stdout (2) and stderr (4) bits");
        report_failure(K_EXEC_FAILED, exec_id, &f);
    } else if (in.nfds != expected_fds) {
        if (in_truncated) {
            fail(&f, EMFILE, "start process: sandbox-init has no descriptor left for its stdio");
        } else {
            fail(&f, EINVAL, "start process: expected %d descriptors, got %d", expected_fds, in.nfds);
        }
        report_failure(K_EXEC_FAILED, exec_id, &f);
    } else if (nprocs == MAX_PROCS) {
        fail(&f, EAGAIN, "start process: more than %d processes started", MAX_PROCS);
        report_failure(K_EXEC_FAILED, exec_id, &f);
    } else {
        int listener = -1;
        int stdio[3];
        for (int i = 0, sent = 0; i < 3; i++) stdio[i] = (null_streams & (1u << i)) ? INIT_DEVNULL : in.fds[sent++];
        pid_t pid = exec_start(&in, stdio, has_memfd ? in.fds[in.nfds - 1] : -1, &listener, &f);
        if (pid < 0) {
            report_failure(K_EXEC_FAILED, exec_id, &f);
        } else {
            procs[nprocs++] = (struct proc){ .exec_id = exec_id, .pid = pid, .main = is_main };
            if (listener >= 0) {
                if (nlisteners < MAX_LISTENERS) {
                    int reports = msg_find(&in, F_SECCOMP_NOTIFY, &fl);
                    /* without denial reports a notification the user's profile asked for gets the kernel's ENOSYS */
                    uint32_t err = reports ? field_u32(&fl) : ENOSYS; /* read before msg_find reuses fl */
                    unsigned kind =
                        (reports ? LISTENER_DENIALS : 0) | (msg_find(&in, F_SECCOMP_BIND, &fl) ? LISTENER_BIND : 0);
                    listeners[nlisteners++] = (struct listener){ .fd = listener, .err = err, .kind = kind };
                } else {
                    close(listener); /* further notifications fail with ENOSYS in the workload */
                }
            }
            msg_init(&out, K_STARTED);
            msg_put_u32(&out, F_EXEC_ID, exec_id);
            msg_put_u32(&out, F_PID, (uint32_t)pid);
            send_or_die();
        }
    }
    msg_close_fds(&in);
    if (is_main && f.err != 0) {
        /* 127 only when the program is missing; ENOENT of an earlier step (chdir) is "cannot execute". */
        terminate(f.err == ENOENT && strncmp(f.step, "execute ", 8) == 0 ? 127 : 126);
    }
}

static void handle_signal_request(void) {
    struct field fl;
    uint32_t exec_id = msg_find(&in, F_EXEC_ID, &fl) ? field_u32(&fl) : 0;
    int sig = msg_find(&in, F_SIGNO, &fl) ? (int)field_u32(&fl) : SIGTERM;
    /* In our own pid namespace every group is the sandbox's; on the host a group id may be another's. */
    if (msg_find(&in, F_PGID, &fl) && field_u32(&fl) > 1 && getpid() == 1) {
        kill(-(pid_t)field_u32(&fl), sig);
    }
    if (exec_id == 0) {
        signal_all(sig);
        return;
    }
    for (int i = 0; i < nprocs; i++) {
        if (procs[i].exec_id == exec_id) {
            kill(procs[i].pid, sig);
        }
    }
}

/* Hands Java our user and network namespaces, so another sandbox can share our network. */
static void handle_get_namespaces(void) {
    int fds[2];
    fds[0] = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    fds[1] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fds[0] < 0 || fds[1] < 0) {
        struct failure f = { 0 };
        fail(&f, errno, "open the sandbox's namespace files");
        if (fds[0] >= 0) close(fds[0]);
        if (fds[1] >= 0) close(fds[1]);
        report_failure(K_NAMESPACES_FAILED, 0, &f);
        return;
    }
    msg_init(&out, K_NAMESPACES);
    if (msg_send(control_fd, &out, fds, 2) < 0) {
        terminate(125);
    }
    close(fds[0]);
    close(fds[1]);
}

static void handle_publish(void) {
    struct publish_request p;
    struct failure f = { 0 };
    if (parse_publish(&in, &p, &f) < 0) {
        msg_close_fds(&in);
        if (in_truncated) f.err = EMFILE;
    } else {
        in.nfds = 0; /* forward_publish owns it now */
        forward_publish(&p, &f);
    }
    if (f.err != 0) {
        msg_init(&out, K_PUBLISH_FAILED);
        msg_put_u32(&out, F_PORT, p.port);
        msg_put_failure(&out, &f);
        send_or_die();
    }
}

static void handle_host_socket(void) {
    struct host_socket_answer a;
    struct failure f = { 0 };
    if (parse_host_socket(&in, &a, &f) < 0) {
        msg_close_fds(&in);
        return;
    }
    in.nfds = 0;
    forward_host_socket(&a);
}

/*
 * A connection to an exposed host port was accepted inside, or a new client sent a datagram to an exposed UDP port:
 * Java connects on the host and hands us the socket.
 */
static void ask_host(uint32_t request_id, uint32_t port, uint32_t transport, int published) {
    msg_init(&out, K_HOST_CONNECT);
    msg_put_u32(&out, F_REQUEST_ID, request_id);
    msg_put_u32(&out, F_PORT, port);
    msg_put_u32(&out, F_TRANSPORT, transport);
    if (published) msg_put_u32(&out, F_PUBLISHED, 1);
    if (outbox_send(&asks, control_fd, &out) < 0) {
        terminate(125); /* Java is gone */
    }
}

/* Listeners for the exposed host ports, before the sandbox is reported ready. */
static int expose_ports(const struct msg *create, struct failure *f) {
    struct expose_port ports[FORWARD_MAX_MAPPINGS];
    int count;
    if (parse_expose_ports(create, ports, FORWARD_MAX_MAPPINGS, &count, f) < 0) return -1;
    forward_set_ask_host(ask_host);
    for (int i = 0; i < count; i++) {
        if (forward_expose(ports[i].port, ports[i].transport, f) < 0) return -1;
    }
    return 0;
}

/*
 * The sandbox is kept after its JVM: from now on our parent (the JVM's server) may die without taking us along. The
 * answer (with F_STEP and F_ERRNO if that failed) tells Java that every message after it is for the keeper that
 * takes over this socket.
 */
static void handle_detach(void) {
    struct failure f = { 0 };
    msg_init(&out, K_DETACH);
    if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0) {
        fail(&f, errno, "clear the init's parent-death signal");
        msg_put_failure(&out, &f);
    }
    send_or_die();
}

static void handle_control(void) {
    int rc = msg_recv(control_fd, &in);
    /* Our descriptor table is full: the message came without its descriptors, and fails on its own below. */
    in_truncated = rc < 0 && errno == EMFILE;
    if (rc <= 0 && !in_truncated) {
        terminate(125); /* EOF: the JVM died or closed the sandbox */
    }
    switch (msg_kind(&in)) {
    case K_EXEC: handle_exec(); break;
    case K_SIGNAL: handle_signal_request(); break;
    case K_SHUTDOWN: terminate(0);
    case K_GET_NAMESPACES: handle_get_namespaces(); break;
    case K_PUBLISH: handle_publish(); break;
    case K_HOST_SOCKET: handle_host_socket(); break;
    case K_DETACH: handle_detach(); break;
    default: break;
    }
    if (msg_kind(&in) != K_EXEC) {
        msg_close_fds(&in);
    }
}

static int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nprocs; i++) {
            if (procs[i].pid != pid) continue;
            struct proc p = procs[i];
            procs[i] = procs[--nprocs];
            send_denials();
            msg_init(&out, K_EXITED);
            msg_put_u32(&out, F_EXEC_ID, p.exec_id);
            msg_put_u32(&out, F_STATUS, (uint32_t)status);
            send_or_die();
            if (p.main) {
                terminate(exit_code(status));
            }
            break;
        }
        /* Anything else is a connect's child (sockcall.c) or an orphan re-parented to us: reaping it is all we owe. */
        sockcall_reaped(pid, status);
    }
}

static void forward_signal(int sig) {
    int sent = 0;
    for (int i = 0; i < nprocs; i++) {
        if (procs[i].main) {
            kill(procs[i].pid, sig);
            sent = 1;
        }
    }
    if (!sent) {
        for (int i = 0; i < nprocs; i++) kill(procs[i].pid, sig);
    }
}

static void count_denial(uint32_t arch, uint32_t nr) {
    for (int i = 0; i < ndenials; i++) {
        if (denials[i].arch == arch && denials[i].nr == nr) {
            denials[i].count++;
            denials_dirty = 1;
            return;
        }
    }
    if (ndenials < MAX_DENIALS) {
        denials[ndenials++] = (struct denial){ .arch = arch, .nr = nr, .count = 1 };
        denials_dirty = 1;
    }
}

/* Answers one refused syscall with the policy's errno, and counts it for the denial report. */
static void handle_notification(const struct listener *l) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        return; /* the target died meanwhile (ENOENT), or an interrupted receive: nothing to answer */
    }
    if ((l->kind & LISTENER_BIND) && bypass_is_bind(&req)) {
        bypass_bind(l->fd, &req); /* with F_SECCOMP_BIND only our rule notifies bind (see bypass.c) */
        return;
    }
    if ((l->kind & LISTENER_BIND) && sockcall_is_connect(&req)) {
        sockcall_connect(l->fd, &req); /* and connect (see sockcall.c) */
        return;
    }
    if (l->kind & LISTENER_DENIALS) count_denial(req.data.arch, (uint32_t)req.data.nr);
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.error = -(int)l->err;
    resp.val = 0;
    ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/*
 * The sandbox's filter, when K_CREATE carries it: Java found that it allows every call the init and a starting
 * process make from here on (InitCalls.java), so the init loads it once and each process inherits it instead of
 * loading it itself (a load and its JIT took about 0.1 ms of every start). Its listener, if any, is the
 * sandbox's: it reports what every process is refused. Should the kernel refuse, processes load it as before.
 */
static void hold_filter(const struct msg *create) {
    struct field filter, notify;
    if (!msg_find(create, F_SECCOMP, &filter)) return;
    int reports = msg_find(create, F_SECCOMP_NOTIFY, &notify);
    if (exec_hold_filter(filter.data, filter.len, reports, &held.fd) == 0 && reports) held.err = field_u32(&notify);
}

#define STACK_RELEASE_DEPTH (256 * 1024)

/* How many pages right below `end` are mapped without a hole up to the page at `end` (at most max): mincore fails
 * with ENOMEM on a range holding an unmapped page, so a binary search finds where the stack's mapping ends. */
static size_t mapped_pages_below(uintptr_t end, size_t page, size_t max) {
    unsigned char vec[STACK_RELEASE_DEPTH / 4096 + 1];
    size_t lo = 0, hi = max;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (mincore((void *)(end - mid * page), (mid + 1) * page, vec) == 0) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

/*
 * Gives back the stack pages below the caller's frame: set-up went deep (mounts, hooks) and left them dirty, and an
 * idle init lives as long as its test, so each is memory per sandbox. Nothing below the stack pointer is live (the
 * page under it is kept for good measure); the loop's calls fault in fresh pages as they need them. The search stops
 * where the stack's mapping does: the kernel keeps other mappings a guard gap below it (stack_guard_gap, 1 MiB).
 */
static __attribute__((noinline)) void release_stack_below(void) {
    size_t page = (size_t)getpagesize();
    volatile unsigned char here = 0;
    uintptr_t end = ((uintptr_t)&here & ~(uintptr_t)(page - 1)) - page;
    size_t pages = mapped_pages_below(end, page, STACK_RELEASE_DEPTH / page);
    if (pages > 0) madvise((void *)(end - pages * page), pages * page, MADV_DONTNEED);
}

void init_loop(int control, const struct msg *create) {
    control_fd = control;
    /* Not dumpable: nothing in the sandbox may ptrace us or open /proc/1/fd or /proc/1/exe. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sigset_t mask;
    sigemptyset(&mask);
    int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };
    sigaddset(&mask, SIGCHLD);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&mask, forwarded[i]);
    signal(SIGPIPE, SIG_IGN);
    struct failure f = { 0 };
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
        fail(&f, errno, "block signals in init");
        report_failure(K_SETUP_FAILED, 0, &f);
        _exit(125);
    }
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fail(&f, errno, "signalfd in init");
        report_failure(K_SETUP_FAILED, 0, &f);
        _exit(125);
    }
    if (expose_ports(create, &f) < 0) {
        report_failure(K_SETUP_FAILED, 0, &f);
        _exit(125);
    }
    /* startContainer hooks run in the finished sandbox, so the old root goes first; no process runs before them. */
    if (hooks_any(create, HOOK_STAGE_START_CONTAINER)) {
        if (sandbox_detach_old_root(&f) < 0 || hooks_run(create, HOOK_STAGE_START_CONTAINER, &f) < 0) {
            report_failure(K_SETUP_FAILED, 0, &f);
            terminate(125);
        }
    }
    msg_init(&out, K_READY);
    if (sandbox_root_outcome.fell_back) {
        static unsigned char fell[ROOT_FELL_BACK_WHY + sizeof sandbox_root_outcome.why];
        size_t why = strlen(sandbox_root_outcome.why) + 1;
        wire_put_u32(fell + ROOT_FELL_BACK_MODE, sandbox_root_outcome.used);
        wire_put_u32(fell + ROOT_FELL_BACK_ERRNO, (uint32_t)sandbox_root_outcome.first_errno);
        memcpy(fell + ROOT_FELL_BACK_WHY, sandbox_root_outcome.why, why);
        msg_put(&out, F_ROOT_FELL_BACK, fell, (uint32_t)(ROOT_FELL_BACK_WHY + why));
        msg_put_u32(&out, F_ROOT_LAST_ERRNO, (uint32_t)sandbox_root_outcome.last_errno);
    }
    send_or_die();
    if (sandbox_detach_old_root(&f) < 0) {
        report_failure(K_SETUP_FAILED, 0, &f);
        terminate(125);
    }
    hold_filter(create); /* before its stack is given back */
    /* From here on every system call of the init must be listed in InitCalls.java (see hold_filter). */
    release_stack_below();
    for (;;) {
        sockcall_prune(); /* a turn follows every exit, signal and notification: when a caller may stop waiting */
        static struct pollfd pfds[4 + MAX_LISTENERS]; /* static: untouched entries cost no memory */
        pfds[0] = (struct pollfd){ .fd = control_fd, .events = POLLIN | (outbox_pending(&asks) ? POLLOUT : 0) };
        pfds[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        pfds[2] = (struct pollfd){ .fd = forward_fd(), .events = POLLIN }; /* -1 (ignored) until forwarding */
        pfds[3] = (struct pollfd){ .fd = held.fd, .events = POLLIN };      /* -1 (ignored) unless the init holds one */
        for (int i = 0; i < nlisteners; i++) {
            pfds[4 + i] = (struct pollfd){ .fd = listeners[i].fd, .events = POLLIN };
        }
        int n = poll(pfds, (nfds_t)(4 + nlisteners), forward_timeout_ms());
        if (n < 0) {
            if (errno == EINTR) continue;
            terminate(125);
        }
        forward_run();
        if (pfds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGCHLD) {
                    reap();
                } else {
                    forward_signal((int)si.ssi_signo);
                }
            }
            reap();
        }
        if (pfds[3].revents & POLLIN) {
            handle_notification(&held); /* no hang-up: the init itself runs under that filter */
        }
        for (int i = nlisteners - 1; i >= 0; i--) {
            short ev = pfds[4 + i].revents;
            if (ev & POLLIN) {
                handle_notification(&listeners[i]);
            } else if (ev & (POLLHUP | POLLERR | POLLNVAL)) {
                /* Every process using this filter is gone. */
                close(listeners[i].fd);
                listeners[i] = listeners[--nlisteners];
            }
        }
        if ((pfds[0].revents & POLLOUT) && outbox_flush(&asks, control_fd) < 0) {
            terminate(125);
        }
        if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            handle_control();
        }
    }
}
