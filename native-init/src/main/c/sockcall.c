/*
 * connect(2) emulation for sandboxes with the port bypass.
 *
 * With the bypass a process of the sandbox holds host sockets: the published listener and the connections it
 * accepts, in the host's network namespace. Disconnected (connect with AF_UNSPEC) and connected again, such a socket
 * would reach every host loopback service. So the filter sends every connect here, and we never answer one with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE: between our check and the kernel's execution another thread could dup2() a host
 * socket onto the checked number, and the kernel would read the address again from memory. Instead we copy the
 * address once, take the socket object itself (pidfd_getfd), decide on that object and that copy only, and do the
 * connect on that object ourselves, answering with its result:
 * - not open: EBADF; not a socket: ENOTSOCK; an address longer than sockaddr_storage: EINVAL, as the kernel says;
 * - a host socket (see sockcall_foreign): EACCES. Nothing legitimate connects one, and refusing AF_UNSPEC keeps every
 *   accepted host socket connected: the kernel lets a connected socket neither listen nor connect nor send with
 *   MSG_FASTOPEN (the filter refuses that flag anyway, as a send with it connects or disconnects too);
 * - an IPv4/IPv6 datagram or raw socket (its connect never waits): connect here, in the init. The object carries
 *   everything the kernel looks at (its namespace, flags, options, cgroup); no credential is checked;
 * - anything else (a stream connect, which may wait minutes for an unreachable peer: a non-blocking one too, since
 *   another thread of the caller may clear O_NONBLOCK on the shared file between our check and our connect; every
 *   other family, AF_UNIX above all): in a short-lived child of the init that takes the caller's context first, so
 *   the init's event loop never waits. The child answers the notification itself (any holder of the listener may) and exits; the
 *   init reaps it. It shares the init's memory (clone with CLONE_VM, not fork: no page tables to copy, about a
 *   third of the cost) but not its root, working directory, descriptor table or credentials; it runs on a stack
 *   of its own, reads only what was copied for it before it started, and makes raw syscalls only (notifcall.h), so
 *   it never touches the init's errno, heap or stdio and never returns into the init's frames. It closes every
 *   descriptor but the listener and the socket first: a copy of a connection the init forwards would keep that
 *   connection open, and its epoll registration alive, for as long as the child waits. A uid change sets
 *   the dumpable flag of the changing task's memory to fs.suid_dumpable: where that is 1 the init's memory would
 *   become ptrace-able, so there the child gets its own (fork), as in exec.c. A blocking object keeps blocking (its
 *   flags are shared with the caller), with its SO_SNDTIMEO.
 *   The caller's context: its root and working directory (a pathname resolves from them; opened O_PATH through
 *   /proc/TID before anything changes), its effective and filesystem uid and gid and supplementary groups (search
 *   and write permission on the path; the peer credentials an AF_UNIX server reads), and its effective
 *   capabilities in place of the init's (netlink groups, CAP_NET_* checks), none for a caller in a user namespace
 *   nested in the sandbox's (its capabilities hold there only). The real and saved uid stay the init's, so only a
 *   process with the init's uid or CAP_KILL may signal the child; one killed before it answered gets its caller
 *   EINTR, and a child whose caller stopped waiting (it died, or a signal interrupted it and the kernel made a new
 *   notification) is killed, so none waits on for nobody. Abstract AF_UNIX names belong to the socket's network
 *   namespace, which is the object's wherever it is connected from. What differs: an AF_UNIX stream server sees the
 *   child's pid in SO_PEERCRED (uid and gid are the caller's).
 * A signal interrupting the caller's wait makes the kernel restart the call as a new notification; connect on the
 * still connecting object then answers EALREADY, and a blocking one waits on, as the kernel's own restart does.
 */
#define _GNU_SOURCE
#include "sockcall.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "notifcall.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* Children connecting at once; beyond, a blocking connect gets EAGAIN (the init's own process count stays small). */
#define MAX_CHILDREN 128
#define MAX_GROUPS 256
/* A child's stack: its status buffer and groups take 5 KiB; the page below is inaccessible, so an overflow faults
 * instead of writing into the init's memory. */
#define STACK_SIZE (32 * 1024)
#define GUARD_SIZE 4096

/* What a child needs, copied before it starts: the init's stack frame it came from is gone when it runs. */
struct job {
    int listener, sock;
    int nested; /* the caller is in a user namespace below the sandbox's: it gets no capabilities here */
    uint64_t id;
    pid_t tid;
    socklen_t len;
    struct sockaddr_storage addr;
};

/* One child at a time per slot (pid 0: free). The stack is kept for the next child once the child is reaped. */
struct slot {
    pid_t pid;
    char *stack; /* its top */
    struct job job;
};

static struct slot slots[MAX_CHILDREN];
static uint64_t own_cookie, host_cookie;

static uint64_t cookie(int sock) {
    uint64_t c = 0;
    socklen_t len = sizeof c;
    return getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0 ? 0 : c;
}

void sockcall_host_socket(int host) {
    if (host_cookie == 0) host_cookie = cookie(host);
}

/*
 * A socket of a network namespace that is not the sandbox's nor one made inside it: the host sockets the bypass
 * hands out (their namespace is recorded before the first), and any namespace the init holds no CAP_NET_ADMIN over
 * (SIOCGSKNS asks for it), which a namespace made in the sandbox always grants.
 */
int sockcall_foreign(int sock) {
    if (own_cookie == 0) {
        int mine = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (mine >= 0) {
            own_cookie = cookie(mine);
            close(mine);
        }
    }
    uint64_t c = cookie(sock);
    if (c == 0) return 1; /* no answer: refuse rather than guess */
    if (c == own_cookie) return 0;
    if (c == host_cookie) return 1;
    int ns = ioctl(sock, SIOCGSKNS, 0);
    if (ns < 0) return 1;
    close(ns);
    return 0;
}

int sockcall_reaped(pid_t pid, int status) {
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (slots[i].pid == pid && pid > 0) {
            const struct job *j = &slots[i].job;
            /* Killed before it answered: its caller would wait until a signal of its own. */
            if (WIFSIGNALED(status) && notif_valid(j->listener, j->id)) notif_answer(j->listener, j->id, -EINTR, 0);
            slots[i].pid = 0;
            return 1;
        }
    }
    return 0;
}

void sockcall_prune(void) {
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (slots[i].pid > 0 && !notif_valid(slots[i].job.listener, slots[i].job.id)) kill(slots[i].pid, SIGKILL);
    }
}

int sockcall_is_connect(const struct seccomp_notif *req) {
    return notif_is_call(req, SYS_connect, NOTIF_COMPAT(362, 283));
}

#ifdef NATIVE_ARCH
/* The caller's credentials, from /proc/TID/status. */
struct creds {
    uint64_t uid[4], gid[4]; /* real, effective, saved, filesystem */
    uint64_t groups[MAX_GROUPS];
    int ngroups;
    uint64_t caps;
};

static int read_creds(pid_t tid, struct creds *c) {
    char buf[4096];
    if (notif_status(tid, buf, sizeof buf) < 0) return -1;
    c->ngroups = notif_status_numbers(buf, "Groups", 10, c->groups, MAX_GROUPS);
    if (notif_status_numbers(buf, "Uid", 10, c->uid, 4) != 4 || notif_status_numbers(buf, "Gid", 10, c->gid, 4) != 4 ||
        c->ngroups < 0 || notif_status_numbers(buf, "CapEff", 16, &c->caps, 1) != 1) {
        return -1;
    }
    return 0;
}

#define SYS1(nr, a) notif_sys(nr, (long)(a), 0, 0, 0, 0, 0)
#define SYS3(nr, a, b, c) notif_sys(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/*
 * Takes the caller's context (see the top of this file). Only the effective ids change: with the real and saved
 * uid the init's, the permitted set survives the change of euid, and capset then sets exactly the caller's.
 */
static int become(const struct creds *c, int nested, int root, int cwd) {
    if (SYS1(SYS_fchdir, root) < 0 || SYS1(SYS_chroot, ".") < 0 || SYS1(SYS_fchdir, cwd) < 0) return -1;
    gid_t groups[MAX_GROUPS];
    for (int i = 0; i < c->ngroups; i++) groups[i] = (gid_t)c->groups[i];
    /* Where the user namespace denies setgroups no process there can change its groups: ours are the caller's. */
    long r = notif_sys(SYS_setgroups, c->ngroups, (long)groups, 0, 0, 0, 0);
    if (r < 0 && r != -EPERM) return -1;
    if (SYS3(SYS_setresgid, -1, (gid_t)c->gid[1], -1) < 0 || SYS3(SYS_setresuid, -1, (uid_t)c->uid[1], -1) < 0) {
        return -1;
    }
    SYS1(SYS_setfsgid, (gid_t)c->gid[3]);
    SYS1(SYS_setfsuid, (uid_t)c->uid[3]);
    /* The changes above set our memory's dumpable flag to fs.suid_dumpable (0 or 2 here): that memory is the init's,
     * which stays not dumpable. They also cleared the parent-death signal. */
    SYS3(SYS_prctl, PR_SET_DUMPABLE, 0, 0);
    SYS3(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0);
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (notif_sys(SYS_capget, (long)&h, (long)d, 0, 0, 0, 0) < 0) return -1;
    uint64_t caps = nested ? 0 : c->caps;
    d[0].effective = (uint32_t)caps & d[0].permitted;
    d[1].effective = (uint32_t)(caps >> 32) & d[1].permitted;
    d[0].inheritable = d[1].inheritable = 0;
    return notif_sys(SYS_capset, (long)&h, (long)d, 0, 0, 0, 0) < 0 ? -1 : 0;
}

static long open_dir(pid_t tid, const char *leaf) {
    char path[48];
    notif_proc_path(path, tid, leaf);
    return notif_sys(SYS_openat, AT_FDCWD, (long)path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
}

/*
 * Whether thread tid is in a user namespace other than ours (one nested below the sandbox's: a caller cannot leave
 * it for an outer one). Its capabilities hold in that namespace only. Unknown counts as nested.
 */
static int nested_user_namespace(pid_t tid) {
    static struct stat own;
    char path[48];
    struct stat st;
    if (own.st_ino == 0 && stat("/proc/self/ns/user", &own) < 0) return 1;
    notif_proc_path(path, tid, "ns/user");
    return stat(path, &st) < 0 || st.st_ino != own.st_ino || st.st_dev != own.st_dev;
}

/* Closes every descriptor but a and b (a child's table is its own copy: the init's stay open). */
static void close_all_but(int a, int b) {
    int lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo > 0) SYS3(SYS_close_range, 0, lo - 1, 0);
    if (hi > lo + 1) SYS3(SYS_close_range, lo + 1, hi - 1, 0);
    SYS3(SYS_close_range, hi + 1, ~0U, 0);
}

/* The child: connects in the caller's context and answers; never returns (its caller's frames are the init's). */
static int child(void *arg) {
    const struct job *j = arg;
    SYS3(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0);
    close_all_but(j->listener, j->sock);
    struct creds c;
    long root = open_dir(j->tid, "root"), cwd = open_dir(j->tid, "cwd");
    /* Still in the call once all was read: the thread we read is the caller, not a recycled pid. Where something
     * could not be read although it is, the call fails (EPERM) rather than run in another context, or wait. */
    int ok = root >= 0 && cwd >= 0 && read_creds(j->tid, &c) == 0;
    if (notif_valid(j->listener, j->id)) {
        long error = -EPERM;
        if (ok && become(&c, j->nested, (int)root, (int)cwd) == 0) {
            error = notif_sys(SYS_connect, j->sock, (long)&j->addr, j->len, 0, 0, 0);
            if (error > 0) error = 0;
        }
        notif_answer(j->listener, j->id, (int)error, 0);
    }
    for (;;) SYS1(SYS_exit, 0); /* only this thread: the init is another process */
    __builtin_unreachable();
}

/* The stack of slot s, mapped on its first use. */
static char *stack_of(struct slot *s) {
    if (s->stack == NULL) {
        char *base =
            mmap(NULL, STACK_SIZE + GUARD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (base == MAP_FAILED) return NULL;
        if (mprotect(base, GUARD_SIZE, PROT_NONE) < 0) {
            munmap(base, STACK_SIZE + GUARD_SIZE);
            return NULL;
        }
        s->stack = base + GUARD_SIZE + STACK_SIZE;
    }
    return s->stack;
}

/* Connects in a child that answers; 0, or -errno when no child could start (the caller answers then). */
static int connect_in_child(int listener, const struct seccomp_notif *req, int sock, const struct sockaddr_storage *ss,
                            socklen_t len, int nested) {
    struct slot *s = NULL;
    for (int i = 0; i < MAX_CHILDREN && s == NULL; i++) {
        if (slots[i].pid == 0) s = &slots[i];
    }
    if (s == NULL) return -EAGAIN;
    s->job = (struct job){
        .listener = listener, .sock = sock, .nested = nested, .id = req->id, .tid = (pid_t)req->pid, .len = len
    };
    memcpy(&s->job.addr, ss, sizeof *ss);
    pid_t pid;
    if (exec_suid_dumpable() == 1) {
        pid = fork();
        if (pid == 0) child(&s->job);
    } else {
        char *stack = stack_of(s);
        if (stack == NULL) return -ENOMEM;
        pid = clone(child, stack, CLONE_VM | SIGCHLD, &s->job);
    }
    if (pid < 0) return -errno;
    s->pid = pid;
    return 0;
}
#endif

void sockcall_connect(int listener, const struct seccomp_notif *req) {
    int error = EACCES, sock = -1, pidfd = -1;
#ifdef NATIVE_ARCH
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    uint64_t len = req->data.args[2];
    /* Other ABIs never come: the bypass is only where the filter kills every call of a compat ABI. */
    if (req->data.arch != NATIVE_ARCH || req->data.nr != SYS_connect) goto out;
    error = EINVAL;
    if ((uint32_t)len > sizeof ss) goto out; /* move_addr_to_kernel takes an int and refuses what does not fit */
    len = (uint32_t)len;
    error = EFAULT;
    if (notif_read_memory(req->pid, req->data.args[1], &ss, len) < 0) goto out;
    pidfd = notif_pidfd(req->pid, NULL);
    if (pidfd < 0) {
        error = -pidfd; /* ESRCH: the caller is gone, whoever reads the answer; EMFILE: ours, not its address */
        goto out;
    }
    /* Still in the call: the memory we read and the process we opened are the caller's (seccomp_unotify(2)). */
    if (!notif_valid(listener, req->id)) goto out;
    sock = notif_getfd(pidfd, (int)req->data.args[0]);
    if (sock < 0) {
        error = -sock; /* EBADF when it is not open, as the kernel says; EMFILE when we are out of descriptors */
        goto out;
    }
    struct stat st;
    error = ENOTSOCK;
    if (fstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode)) goto out;
    error = EACCES;
    if (sockcall_foreign(sock)) goto out;
    int domain = 0, type = 0;
    socklen_t ol = sizeof domain;
    if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &ol) < 0) goto out;
    ol = sizeof type;
    if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &ol) < 0) goto out;
    int inet = domain == AF_INET || domain == AF_INET6;
    if (inet && (type == SOCK_DGRAM || type == SOCK_RAW)) {
        error = connect(sock, (const struct sockaddr *)&ss, (socklen_t)len) == 0 ? 0 : errno;
        goto out;
    }
    int r = connect_in_child(listener, req, sock, &ss, (socklen_t)len, nested_user_namespace(req->pid));
    if (r == 0) {
        close(sock);
        close(pidfd);
        return; /* the child answers */
    }
    error = -r;
out:
#endif
    if (sock >= 0) close(sock);
    if (pidfd >= 0) close(pidfd);
    notif_answer(listener, req->id, -error, 0);
}
