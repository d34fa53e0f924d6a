#define _GNU_SOURCE
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "protocol.h"
#include "util.h"

/*
 * The keeper is the Java side of a kept sandbox's init once its JVM is gone: the init lives as long as someone holds
 * the other end of its control socket, and it answers every process with messages that must be read. Each process
 * description comes from a `sandboxed` command of the same user (Java, from the exec profile the JVM left in the
 * state entry), but what confines it does not: its capabilities, rlimits, seccomp program and no_new_privs are the
 * ones the JVM handed over with K_KEEP, kept here, whatever the client (or a rewritten exec.json) says. The keeper
 * gives each process an exec id of its own and routes the answers back. A client that hangs up takes its processes
 * along (their groups get SIGKILL). It also holds a shared lock on the image's use lock file, so that no prune
 * removes the image while the sandbox lives.
 */

#define MAX_CLIENTS 16
#define MAX_ROUTES 256
/* Output pipes of the sandbox's processes: K_KEEP brings up to MAX_FDS - 2, K_KEEP_DRAINS from the JVM the rest. */
#define MAX_DRAINS 64
/* Far above the ids a JVM gave (counted from 1): a late answer to one of those is never taken for a client's. */
#define FIRST_ID 0x40000000u

struct route {
    int client;         /* index in clients; -1: free */
    uint32_t client_id; /* the exec id the client chose */
    uint32_t id;        /* ours, as the init knows it */
    uint32_t pid;       /* once started: its pid inside, which leads its process group */
};

static int clients[MAX_CLIENTS];
static struct route routes[MAX_ROUTES];
static uint32_t next_id = FIRST_ID;
static int init_sock = -1;
static const struct msg *profile; /* the K_KEEP message (never changed in this process) */
static int drains[MAX_DRAINS];
static int ndrains;
static struct msg in;
static struct msg out;
static struct msg relay;

static int same_namespace(pid_t pid, const char *ns) {
    char path[64], own[128], theirs[128];
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
    ssize_t a = readlink(path, own, sizeof own);
    snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, ns);
    ssize_t b = readlink(path, theirs, sizeof theirs);
    return a > 0 && a == b && memcmp(own, theirs, (size_t)a) == 0;
}

/* Only this user, from the JVM's user and mount namespaces: a process inside the sandbox runs as this uid too. */
static void accept_client(int listener) {
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid() ||
        !same_namespace(cred.pid, "user") || !same_namespace(cred.pid, "mnt")) {
        close(fd);
        return;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i] < 0) {
            clients[i] = fd;
            return;
        }
    }
    close(fd);
}

static _Noreturn void sandbox_ended(void) {
    _exit(0); /* the clients, the lock and the socket go with us */
}

static void to_init(const struct msg *m, const int *fds, int nfds) {
    if (msg_send(init_sock, m, fds, nfds) < 0) sandbox_ended();
}

static void kill_route(struct route *r) {
    msg_init(&out, K_SIGNAL);
    msg_put_u32(&out, F_EXEC_ID, r->id);
    msg_put_u32(&out, F_SIGNO, SIGKILL);
    if (r->pid > 1) msg_put_u32(&out, F_PGID, r->pid);
    to_init(&out, NULL, 0);
    r->client = -1;
}

static void drop_client(int c) {
    for (int i = 0; i < MAX_ROUTES; i++) {
        if (routes[i].client == c) kill_route(&routes[i]);
    }
    close(clients[c]);
    clients[c] = -1;
}

static struct route *route_by(int client, uint32_t client_id, uint32_t id) {
    for (int i = 0; i < MAX_ROUTES; i++) {
        struct route *r = &routes[i];
        if (r->client >= 0 && (client < 0 ? r->id == id : r->client == client && r->client_id == client_id)) return r;
    }
    return NULL;
}

static int set_u32(struct msg *m, uint32_t tag, uint32_t value) {
    struct field fl;
    if (!msg_find(m, tag, &fl) || fl.len != 4) return -1;
    wire_put_u32((unsigned char *)fl.data, value); /* fl.data points into m->buf */
    return 0;
}

/*
 * The client's K_EXEC as the init gets it: our exec id, never the main process, and the handed-over profile in place
 * of whatever the client sent for capabilities (none effective for a uid other than 0, as Java does), rlimits,
 * seccomp (with its notify errno and bind listener) and no_new_privs. Everything else (command, environment, user,
 * working directory) is the client's.
 */
static int enforce_profile(uint32_t id, struct failure *f) {
    msg_init(&relay, K_EXEC);
    uint32_t uid = 0;
    size_t pos = 0;
    struct field fl;
    while (msg_next(&in, &pos, &fl)) {
        switch (fl.tag) {
        case F_KIND: /* msg_init put ours */
        case F_EXEC_ID:
        case F_MAIN:
        case F_CAPS:
        case F_RLIMIT:
        case F_SECCOMP:
        case F_SECCOMP_NOTIFY:
        case F_SECCOMP_BIND:
        case F_NO_NEW_PRIVS: continue;
        case F_UID: uid = fl.len == 4 ? field_u32(&fl) : uid; break;
        default: break;
        }
        if (msg_put(&relay, fl.tag, fl.data, fl.len) < 0) return fail(f, E2BIG, "start process: message too large");
    }
    int rc =
        msg_put_u32(&relay, F_EXEC_ID, id) | msg_put_u32(&relay, F_MAIN, 0) | msg_put_u32(&relay, F_NO_NEW_PRIVS, 1);
    pos = 0;
    while (rc == 0 && msg_next(profile, &pos, &fl)) {
        if (fl.tag == F_CAPS && fl.len == CAPS_LEN) {
            unsigned char caps[CAPS_LEN];
            memcpy(caps, fl.data, CAPS_LEN);
            if (uid != 0) wire_put_u64(caps + CAPS_EFFECTIVE, 0);
            rc = msg_put(&relay, F_CAPS, caps, CAPS_LEN);
        } else if (fl.tag == F_RLIMIT || fl.tag == F_SECCOMP || fl.tag == F_SECCOMP_NOTIFY ||
                   fl.tag == F_SECCOMP_BIND) {
            rc = msg_put(&relay, fl.tag, fl.data, fl.len);
        }
    }
    return rc < 0 ? fail(f, E2BIG, "start process: message too large with the sandbox's profile") : 0;
}

static void exec_failed(int c, uint32_t client_id, const struct failure *f) {
    msg_init(&out, K_EXEC_FAILED);
    msg_put_u32(&out, F_EXEC_ID, client_id);
    msg_put_failure(&out, f);
    if (msg_send(clients[c], &out, NULL, 0) < 0) drop_client(c);
}

static void exec_for(int c) {
    struct field fl;
    uint32_t client_id = msg_find(&in, F_EXEC_ID, &fl) && fl.len == 4 ? field_u32(&fl) : 0;
    struct route *r = NULL;
    for (int i = 0; i < MAX_ROUTES && r == NULL; i++) {
        if (routes[i].client < 0) r = &routes[i];
    }
    struct failure f = { 0 };
    if (r == NULL || client_id == 0 || route_by(c, client_id, 0) != NULL) {
        fail(&f, r == NULL ? EAGAIN : EINVAL, "start process: %s",
             r == NULL ? "the keeper runs as many processes as it routes" : "no exec id, or one in use");
        exec_failed(c, client_id, &f);
        return;
    }
    if (enforce_profile(next_id, &f) < 0) {
        exec_failed(c, client_id, &f);
        return;
    }
    *r = (struct route){ .client = c, .client_id = client_id, .id = next_id++ };
    to_init(&relay, in.fds, in.nfds);
}

/*
 * More output pipes to drain (K_KEEP_DRAINS, from the JVM right after the hand-over; from anyone its clients may
 * be, since reading and dropping a pipe's data harms nobody), up to MAX_DRAINS; taken from `in`.
 */
static void add_drains(void) {
    for (int i = 0; i < in.nfds; i++) {
        if (ndrains < MAX_DRAINS) {
            drains[ndrains++] = in.fds[i];
            in.fds[i] = -1;
        }
    }
}

static void from_client(int c) {
    int rc = msg_recv(clients[c], &in);
    if (rc <= 0) {
        in.nfds = 0; /* nothing of it is ours: a failed receive leaves the count of an earlier message */
        drop_client(c);
        return;
    }
    struct field fl;
    switch (msg_kind(&in)) {
    case K_EXEC: exec_for(c); break;
    case K_KEEP_DRAINS: add_drains(); break;
    case K_SIGNAL:
        /* exec id 0 (every process) as it is; a client's own process by our id; anything else is dropped */
        if (msg_find(&in, F_EXEC_ID, &fl) && fl.len == 4 && field_u32(&fl) != 0) {
            struct route *r = route_by(c, field_u32(&fl), 0);
            if (r == NULL) break;
            set_u32(&in, F_EXEC_ID, r->id);
        }
        to_init(&in, NULL, 0);
        break;
    case K_SHUTDOWN: to_init(&in, NULL, 0); break;
    default: break;
    }
    msg_close_fds(&in); /* the init has its own copies */
}

static void from_init(void) {
    int rc = msg_recv(init_sock, &in);
    if (rc <= 0 && !(rc < 0 && errno == EMFILE)) sandbox_ended();
    struct field fl;
    uint32_t kind = msg_kind(&in);
    if ((kind == K_STARTED || kind == K_EXEC_FAILED || kind == K_EXITED) && msg_find(&in, F_EXEC_ID, &fl) &&
        fl.len == 4) {
        struct route *r = route_by(-1, 0, field_u32(&fl));
        if (r != NULL) {
            int c = r->client;
            if (kind == K_STARTED && msg_find(&in, F_PID, &fl) && fl.len == 4) r->pid = field_u32(&fl);
            set_u32(&in, F_EXEC_ID, r->client_id);
            if (kind != K_STARTED) r->client = -1;
            if (msg_send(clients[c], &in, NULL, 0) < 0) drop_client(c);
        }
    } else if (kind == K_HOST_CONNECT && msg_find(&in, F_REQUEST_ID, &fl) && fl.len == 4) {
        /* nobody connects host ports for it now (Java keeps no sandbox that exposes one): refused */
        msg_init(&out, K_HOST_SOCKET);
        msg_put_u32(&out, F_REQUEST_ID, field_u32(&fl));
        msg_put_u32(&out, F_ERRNO, ECONNREFUSED);
        to_init(&out, NULL, 0);
    }
    msg_close_fds(&in);
}

static int listen_ops(struct failure *f) {
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(f, errno, "keeper: create the operations socket");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int n = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "sandboxed-ops/%u/%d", (unsigned)getuid(), getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 16) < 0) {
        close_keep_errno(fd);
        return fail(f, errno, "keeper: listen on @%s", addr.sun_path + 1);
    }
    return fd;
}

/* Milliseconds until `until`, for poll: -1 without one, 0 once it passed. */
static int timeout_ms(uint64_t until) {
    if (until == 0) return -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if ((uint64_t)now.tv_sec >= until) return 0;
    uint64_t left = (until - (uint64_t)now.tv_sec) * 1000;
    return left > 3600000 ? 3600000 : (int)left;
}

/* A shared lock on the image's use lock file (F_IMAGE_LOCK), for as long as this process lives; -1 without one. */
static int lock_image(struct failure *f) {
    struct field fl;
    if (!msg_find(profile, F_IMAGE_LOCK, &fl)) return 0;
    char *path = field_strdup(&fl);
    if (path == NULL) return fail(f, ENOMEM, "keeper: copy the image lock's path");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct flock lock = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
    if (fd < 0 || fcntl(fd, F_SETLK, &lock) < 0) {
        fail(f, errno, "keeper: lock the image's use lock %s", path);
        if (fd >= 0) close(fd);
        fd = -1;
    }
    free(path);
    return fd < 0 ? -1 : 0; /* the descriptor stays open: the lock goes with it when we end */
}

void keeper_main(const struct msg *request, int jvm, uint64_t until, int report) {
    struct failure f = { 0 };
    int sock = request->fds[0];
    int lock_fd = request->fds[1];
    int keep[4 + MAX_FDS] = { sock, lock_fd, jvm, report };
    profile = request;
    ndrains = request->nfds - 2;
    for (int i = 0; i < ndrains; i++) keep[4 + i] = drains[i] = request->fds[2 + i];
    close_fds_but(keep, 4 + ndrains);
    /* Not the JVM's stdio either: whoever reads the JVM's output (a build tool) waits for its end. */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        close(devnull);
    }
    init_sock = sock;
    setsid(); /* no terminal, no process group of the build's: nothing sent to those reaches us */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* it holds the init's socket */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < MAX_CLIENTS; i++) clients[i] = -1;
    for (int i = 0; i < MAX_ROUTES; i++) routes[i].client = -1;
    /* A lock of our own process: released by the kernel however we end, which tells the stale clean-up. */
    struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    int listener = -1;
    if (fcntl(lock_fd, F_SETLK, &lock) < 0) {
        fail(&f, errno, "keeper: lock the state entry's keeper lock");
    } else if (lock_image(&f) == 0) {
        listener = listen_ops(&f);
    }
    if (write(report, &f, sizeof f) != (ssize_t)sizeof f || f.err != 0) _exit(125);
    close(report);
    int shut_down = 0;
    for (;;) {
        struct pollfd pfds[3 + MAX_CLIENTS + MAX_DRAINS];
        pfds[0] = (struct pollfd){ .fd = init_sock, .events = POLLIN };
        pfds[1] = (struct pollfd){ .fd = listener, .events = POLLIN };
        pfds[2] = (struct pollfd){ .fd = jvm, .events = POLLIN }; /* -1 once gone */
        for (int i = 0; i < MAX_CLIENTS; i++) pfds[3 + i] = (struct pollfd){ .fd = clients[i], .events = POLLIN };
        for (int i = 0; i < ndrains; i++) {
            /* Only once the JVM is gone: until then its own readers get the output. */
            pfds[3 + MAX_CLIENTS + i] = (struct pollfd){ .fd = jvm < 0 ? drains[i] : -1, .events = POLLIN };
        }
        int timeout = shut_down ? -1 : timeout_ms(until);
        int n = poll(pfds, (nfds_t)(3 + MAX_CLIENTS + ndrains), timeout);
        int polled = ndrains; /* a client may add drains below: they are polled from the next round */
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(125);
        }
        if (n == 0 && timeout == 0) {
            msg_init(&out, K_SHUTDOWN); /* its time is up: the init kills everything and hangs up */
            to_init(&out, NULL, 0);
            shut_down = 1;
        }
        if (pfds[0].revents) from_init();
        if (pfds[2].revents) {
            close(jvm);
            jvm = -1;
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i] >= 0 && pfds[3 + i].revents) from_client(i);
        }
        /* After the clients: from_init may have freed a slot whose readiness this round still holds, and a client
         * accepted into it would be read (blocking) on its predecessor's readiness. */
        if (pfds[1].revents & POLLIN) accept_client(listener);
        for (int i = 0; i < polled; i++) {
            if (pfds[3 + MAX_CLIENTS + i].revents == 0) continue;
            char discard[16384];
            ssize_t got = read(drains[i], discard, sizeof discard);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                close(drains[i]);
                drains[i] = -1; /* ignored by poll from now on */
            }
        }
    }
}
