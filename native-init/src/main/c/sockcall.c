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
 * - an IPv4/IPv6 socket that cannot block (non-blocking, or a datagram or raw one): connect here, in the init. The
 *   object carries everything the kernel looks at (its namespace, flags, options, cgroup); no credential is checked;
 * - anything else (a blocking stream connect, which may wait minutes for an unreachable peer; every other family,
 *   AF_UNIX above all): in a short-lived child of the init that takes the caller's context first, so the init's event
 *   loop never waits. The child answers the notification itself (any holder of the listener may) and exits; the
 *   init reaps it. A blocking object keeps blocking (its flags are shared with the caller), with its SO_SNDTIMEO.
 *   The caller's context: its root and working directory (a pathname resolves from them; opened O_PATH through
 *   /proc/TID before anything changes), its effective and filesystem uid and gid and supplementary groups (search
 *   and write permission on the path; the peer credentials an AF_UNIX server reads), and its effective
 *   capabilities in place of the init's (netlink groups, CAP_NET_* checks). The real and saved uid stay the init's,
 *   so no process of the sandbox may signal the child. Abstract AF_UNIX names belong to the socket's network
 *   namespace, which is the object's wherever it is connected from. What differs: an AF_UNIX stream server sees the
 *   child's pid in SO_PEERCRED (uid and gid are the caller's).
 * A signal interrupting the caller's wait makes the kernel restart the call as a new notification; connect on the
 * still connecting object then answers EALREADY, and a blocking one waits on, as the kernel's own restart does.
 */
#define _GNU_SOURCE
#include "sockcall.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#if defined(__x86_64__)
#include <linux/audit.h>
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#include <linux/audit.h>
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* Children connecting at once; beyond, a blocking connect gets EAGAIN (the init's own process count stays small). */
#define MAX_CHILDREN 128
#define MAX_GROUPS 256

static pid_t children[MAX_CHILDREN];
static int nchildren;
static uint64_t own_cookie, host_cookie;

static void answer(int listener, uint64_t id, int error) {
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = id;
    resp.error = error;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

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

pid_t sockcall_thread_group(pid_t tid) {
    char path[32], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *t = strstr(buf, "\nTgid:");
    return t == NULL ? -1 : (pid_t)strtol(t + 6, NULL, 10);
}

int sockcall_reaped(pid_t pid) {
    for (int i = 0; i < nchildren; i++) {
        if (children[i] == pid) {
            children[i] = children[--nchildren];
            return 1;
        }
    }
    return 0;
}

int sockcall_is_connect(const struct seccomp_notif *req) {
    uint32_t nr = (uint32_t)req->data.nr;
#if defined(__x86_64__)
    return (req->data.arch == AUDIT_ARCH_X86_64 && (nr == SYS_connect || nr == (0x40000000u | SYS_connect))) ||
        (req->data.arch == AUDIT_ARCH_I386 && nr == 362);
#elif defined(__aarch64__)
    return (req->data.arch == AUDIT_ARCH_AARCH64 && nr == SYS_connect) ||
        (req->data.arch == AUDIT_ARCH_ARM && nr == 283);
#else
    return nr == SYS_connect;
#endif
}

/* The caller's credentials, from /proc/TID/status. */
struct creds {
    uid_t euid, fsuid;
    gid_t egid, fsgid;
    gid_t groups[MAX_GROUPS];
    int ngroups;
    uint64_t caps;
};

static int read_creds(pid_t tid, struct creds *c) {
    char path[32], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:"), *gs = strstr(buf, "\nGroups:");
    char *cap = strstr(buf, "\nCapEff:");
    unsigned long r, e, s, f;
    if (u == NULL || g == NULL || gs == NULL || cap == NULL) return -1;
    if (sscanf(u + 5, "%lu %lu %lu %lu", &r, &e, &s, &f) != 4) return -1;
    c->euid = (uid_t)e;
    c->fsuid = (uid_t)f;
    if (sscanf(g + 5, "%lu %lu %lu %lu", &r, &e, &s, &f) != 4) return -1;
    c->egid = (gid_t)e;
    c->fsgid = (gid_t)f;
    c->ngroups = 0;
    char *p = gs + 8, *end;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p < '0' || *p > '9') break;
        unsigned long v = strtoul(p, &end, 10);
        if (c->ngroups == MAX_GROUPS) return -1;
        c->groups[c->ngroups++] = (gid_t)v;
        p = end;
    }
    c->caps = strtoull(cap + 8, NULL, 16);
    return 0;
}

/*
 * Takes the caller's context (see the top of this file). Only the effective ids change: with the real and saved
 * uid the init's, the permitted set survives the change of euid, and capset then sets exactly the caller's.
 */
static int become(const struct creds *c, int root, int cwd) {
    if (root >= 0 && (fchdir(root) < 0 || chroot(".") < 0)) return -1;
    if (cwd >= 0 && fchdir(cwd) < 0) return -1;
    /* Where the user namespace denies setgroups no process there can change its groups: ours are the caller's. */
    if (setgroups((size_t)c->ngroups, c->groups) < 0 && errno != EPERM) return -1;
    if (setresgid((gid_t)-1, c->egid, (gid_t)-1) < 0 || setresuid((uid_t)-1, c->euid, (uid_t)-1) < 0) return -1;
    setfsgid(c->fsgid);
    setfsuid(c->fsuid);
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) < 0) return -1;
    d[0].effective = (uint32_t)c->caps & d[0].permitted;
    d[1].effective = (uint32_t)(c->caps >> 32) & d[1].permitted;
    d[0].inheritable = d[1].inheritable = 0;
    return (int)syscall(SYS_capset, &h, d);
}

/* Connects in a child that answers; 0, or -errno when no child could start (the caller answers then). */
static int connect_in_child(int listener, const struct seccomp_notif *req, int sock, const struct sockaddr_storage *ss,
                            socklen_t len) {
    if (nchildren == MAX_CHILDREN) return -EAGAIN;
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) {
        children[nchildren++] = pid;
        return 0;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char path[48];
    int root = -1, cwd = -1, error = EPERM;
    struct creds c;
    snprintf(path, sizeof path, "/proc/%d/root", (int)req->pid);
    root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)req->pid);
    cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    /* Still in the call once all was read: the thread we read is the caller, not a recycled pid. Where something
     * could not be read although it is, the call fails (EPERM) rather than run in another context, or wait. */
    int ok = root >= 0 && cwd >= 0 && read_creds(req->pid, &c) == 0;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) _exit(0);
    if (ok && become(&c, root, cwd) == 0) {
        error = connect(sock, (const struct sockaddr *)ss, len) == 0 ? 0 : errno;
    }
    answer(listener, req->id, -error);
    _exit(0);
}

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
    if (len > 0) {
        struct iovec local = { .iov_base = &ss, .iov_len = len };
        struct iovec remote = { .iov_base = (void *)(uintptr_t)req->data.args[1], .iov_len = len };
        if (process_vm_readv(req->pid, &local, 1, &remote, 1, 0) != (ssize_t)len) goto out;
    }
    pid_t tgid = sockcall_thread_group(req->pid);
    if (tgid <= 0) goto out;
    pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
    /* Still in the call: the memory we read and the process we opened are the caller's (seccomp_unotify(2)). */
    if (pidfd < 0 || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) goto out;
    error = EBADF;
    if ((int)req->data.args[0] < 0) goto out;
    sock = (int)syscall(SYS_pidfd_getfd, pidfd, (int)req->data.args[0], 0);
    if (sock < 0) goto out;
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
    int flags = fcntl(sock, F_GETFL);
    int inet = domain == AF_INET || domain == AF_INET6;
    if (inet && ((flags & O_NONBLOCK) || type == SOCK_DGRAM || type == SOCK_RAW)) {
        error = connect(sock, (const struct sockaddr *)&ss, (socklen_t)len) == 0 ? 0 : errno;
        goto out;
    }
    int r = connect_in_child(listener, req, sock, &ss, (socklen_t)len);
    if (r == 0) {
        close(sock);
        close(pidfd);
        return; /* the child answers */
    }
    error = -r;
out:
#else
    (void)connect_in_child;
#endif
    if (sock >= 0) close(sock);
    if (pidfd >= 0) close(pidfd);
    answer(listener, req->id, -error);
}
