/*
 * The bind(2) notifications of sandboxes with published TCP ports (F_SECCOMP_BIND, as bypass4netns does it).
 *
 * A bind of a published container port on a wildcard or loopback address, by an unbound TCP socket, is answered by
 * putting the mapping's host socket (Java's, listening on the published host address) in place of the process's
 * socket (SECCOMP_IOCTL_NOTIF_ADDFD with SETFD) and success; forward_bypass does the rest. Everything else is let
 * through with SECCOMP_USER_NOTIF_FLAG_CONTINUE. CONTINUE is safe here although the kernel then reads the arguments
 * again (another thread may have changed them since we read them): we decide nothing the kernel acts on, we only
 * decline to bypass, and the call is one the policy allows as it stands. A positive decision never continues: the
 * process gets exactly the socket we checked, whatever its memory says afterwards.
 *
 * What the process holds then: a host socket listening on the published address and port, and the connections it
 * accepts there: host loopback connections, which is what publishing the port means. A listening socket cannot
 * connect or be bound elsewhere. An accepted one could be disconnected (connect with AF_UNSPEC) and connected again
 * to any host loopback port: so with the bypass the filter sends every connect to the init too, which refuses it on a
 * host socket (sockcall.c), and refuses sends with MSG_FASTOPEN (BindBypass.java). A bind of a host socket is refused
 * here (EACCES). Every other bind continues: should another thread put a host socket on the number meanwhile, the
 * kernel binds one that is still connected (it never saw AF_UNSPEC), which can then neither listen nor connect.
 */
#define _GNU_SOURCE
#include "bypass.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "forward.h"
#include "notifcall.h"
#include "sockcall.h"
#include "util.h"

/* What the process's socket looked like: its options go to the host socket it gets. */
struct app_socket {
    int listener;
    uint64_t id;
    int fd;      /* its number in the process */
    int cloexec; /* of that number */
    int status;  /* file status flags (O_NONBLOCK) */
    int nodelay;
    int rcvbuf, sndbuf; /* 0: left as the kernel chose */
};

/* Whether descriptor fd of process pid is close-on-exec, from its fdinfo ("flags:" in octal). */
static int fd_cloexec(pid_t pid, int fd) {
    char path[48], buf[256];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return 1;
    ssize_t n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0) return 1;
    buf[n] = '\0';
    char *flags = strstr(buf, "flags:");
    return flags == NULL || (strtoul(flags + 6, NULL, 8) & O_CLOEXEC) != 0;
}

static int sockopt(int fd, int level, int name) {
    int v = 0;
    socklen_t len = sizeof v;
    return getsockopt(fd, level, name, &v, &len) < 0 ? -1 : v;
}

/* A buffer size the process set itself (it differs from a fresh socket's), else 0. */
static int set_size(int sock, int family, int name) {
    int fresh = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fresh < 0) return 0;
    int mine = sockopt(sock, SOL_SOCKET, name), usual = sockopt(fresh, SOL_SOCKET, name);
    close(fresh);
    return mine > 0 && mine != usual ? mine : 0;
}

/* A wildcard or loopback address: where the published port is meant to be served. */
static int servable(const struct sockaddr_storage *ss) {
    if (ss->ss_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
        return a == INADDR_ANY || (a >> 24) == 127;
    }
    const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a)) return 1;
    return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

/* Gives the host socket the process's options and puts it in place of the process's socket. */
static int install(int host, void *ctx) {
    struct app_socket *app = ctx;
    sockcall_host_socket(host); /* before any host socket reaches the sandbox: connects of them are refused */
    int flags = fcntl(host, F_GETFL);
    if (flags < 0 || fcntl(host, F_SETFL, (flags & ~O_NONBLOCK) | (app->status & O_NONBLOCK)) < 0) return -1;
    setsockopt(host, IPPROTO_TCP, TCP_NODELAY, &app->nodelay, sizeof app->nodelay);
    if (app->rcvbuf > 0) {
        int v = app->rcvbuf / 2; /* the kernel reports twice what was set */
        setsockopt(host, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    }
    if (app->sndbuf > 0) {
        int v = app->sndbuf / 2;
        setsockopt(host, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    }
    struct seccomp_notif_addfd addfd = {
        .id = app->id,
        .flags = SECCOMP_ADDFD_FLAG_SETFD,
        .srcfd = (uint32_t)host,
        .newfd = (uint32_t)app->fd,
        .newfd_flags = app->cloexec ? O_CLOEXEC : 0,
    };
    /* Not SECCOMP_ADDFD_FLAG_SEND: the call would return the descriptor's number, and bind must return 0. */
    if (ioctl(app->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) return -1;
    notif_answer(app->listener, app->id, 0, 0);
    return 0;
}

int bypass_is_bind(const struct seccomp_notif *req) {
    return notif_is_call(req, SYS_bind, NOTIF_COMPAT(361, 282));
}

void bypass_bind(int listener, const struct seccomp_notif *req) {
    int done = 0;
    int sock = -1, pidfd = -1;
#ifdef NATIVE_ARCH
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len = (socklen_t)req->data.args[2];
    pid_t tgid = -1;
    if (req->data.arch != NATIVE_ARCH || req->data.nr != SYS_bind || len < sizeof(sa_family_t) || len > sizeof ss) {
        goto out;
    }
    if (notif_read_memory(req->pid, req->data.args[1], &ss, len) < 0) goto out;
    uint16_t port;
    if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        len = sizeof(struct sockaddr_in);
    } else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        len = sizeof(struct sockaddr_in6);
        if (((struct sockaddr_in6 *)&ss)->sin6_scope_id != 0) goto out;
    } else {
        goto out;
    }
    if (port == 0 || !servable(&ss)) goto out;
    pidfd = notif_pidfd(req->pid, &tgid);
    /* Still in the call: the memory we read and the process we opened are the caller's (seccomp_unotify(2)). */
    if (pidfd < 0 || !notif_valid(listener, req->id)) goto out;
    struct app_socket app = { .listener = listener, .id = req->id, .fd = (int)req->data.args[0] };
    sock = notif_getfd(pidfd, app.fd);
    if (sock < 0) goto out;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char dev[64];
    socklen_t devlen = sizeof dev;
    /* An unbound TCP socket of the address's family, tied to no device */
    if (sockopt(sock, SOL_SOCKET, SO_DOMAIN) != ss.ss_family || sockopt(sock, SOL_SOCKET, SO_TYPE) != SOCK_STREAM ||
        sockopt(sock, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP ||
        getsockname(sock, (struct sockaddr *)&bound, &blen) < 0 || ((struct sockaddr_in *)&bound)->sin_port != 0 ||
        (getsockopt(sock, SOL_SOCKET, SO_BINDTODEVICE, dev, &devlen) == 0 && devlen > 0 && dev[0] != '\0')) {
        goto out;
    }
    int v6only = ss.ss_family == AF_INET6 ? sockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY) : 0;
    app.status = fcntl(sock, F_GETFL);
    app.cloexec = fd_cloexec(tgid, app.fd);
    app.nodelay = sockopt(sock, IPPROTO_TCP, TCP_NODELAY) > 0;
    app.rcvbuf = set_size(sock, ss.ss_family, SO_RCVBUF);
    app.sndbuf = set_size(sock, ss.ss_family, SO_SNDBUF);
    if (v6only < 0 || app.status < 0) goto out;
    done = forward_bypass(port, &ss, len, v6only, install, &app);
out:
    if (!done && sock < 0) {
        if (pidfd < 0) pidfd = notif_pidfd(req->pid, NULL);
        sock = notif_getfd(pidfd, (int)req->data.args[0]);
    }
    struct stat st;
    /* A host socket (an accepted one that lost its peer) must not take a host port: see the top of this file. */
    if (!done && sock >= 0 && fstat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && sockcall_foreign(sock)) {
        notif_answer(listener, req->id, -EACCES, 0);
        done = 1;
    }
#else
    (void)install;
    (void)servable;
    (void)fd_cloexec;
    (void)set_size;
#endif
    if (sock >= 0) close(sock);
    if (pidfd >= 0) close(pidfd);
    if (!done) notif_answer(listener, req->id, 0, 1);
}
