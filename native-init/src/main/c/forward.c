#define _GNU_SOURCE
#include "forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"

/* What an epoll event points at: the first member of each of these structs says which one it is. */
enum endpoint_type { EP_LISTENER = 1, EP_UDP, EP_SIDE, EP_PEER };

/* A connection is moved at most this much per turn, so one fast transfer cannot starve the others. */
#define TURN_BUDGET (4u << 20)
#define MAX_EVENTS 64
#define UDP_MAX 65536
/*
 * A pipe that fills up is grown to this once (fewer splice calls per byte of a bulk transfer), or to the largest
 * power of two below it that the kernel allows (an unprivileged user gets at most fs.pipe-max-size); a connection
 * that never half fills one keeps the default 64 KiB, and where the user's pipe budget (pipe-user-pages-soft) is
 * spent the kernel refuses and the pipe stays as it was: it is not asked again for that pipe.
 */
#define BIG_PIPE (1 << 20)
/*
 * At most this many K_HOST_CONNECT requests wait for Java at once: beyond it the exposed listeners are not watched
 * (their clients wait in the backlog), so a flood of connections cannot fill the control socket both ways. An
 * answer that does not come within HOST_ANSWER_SECONDS frees its slot: the client gets a reset.
 */
#define HOST_ASKS_MAX 64
#define HOST_ANSWER_SECONDS 10
/* A UDP client of an exposed port whose host socket has not come yet: this much of its datagrams waits, the rest is lost. */
#define HELD_BYTES_MAX 65536
/*
 * Descriptors forwarding leaves to everything else: the control socket, an exec's stdio, seccomp listeners (64),
 * the mappings' sockets (64) and slack. The rest of the hard limit is shared by all mappings: a TCP connection
 * takes CONN_FDS (two sockets, two pipes), a UDP peer one. A message whose descriptors find no room would fail.
 */
#define FD_RESERVE 256
#define CONN_FDS 6

struct conn;

struct mapping {
    int type; /* EP_LISTENER or EP_UDP */
    int fd;
    int expose; /* accepted inside the sandbox, the other end comes from Java; else accepted on the host */
    uint32_t port;
    int count;  /* open connections or known UDP peers */
    int paused; /* accept4 ran out of descriptors: not watched until a connection closes */
    struct peer *peers;
    int published; /* an exposed one relaying to a bypassed published port: K_HOST_CONNECT with F_PUBLISHED */
    int dead;      /* a relay closed while connections still name it: freed with the last of them */
    /* Published TCP with F_BYPASS (see forward_bypass): */
    int bypass;
    int sock[2];  /* [0] fd (listening at first), [1] its twin of the other family, bound to the same port, or -1 */
    int active;   /* the one of sock[] that listens */
    int bypassed; /* a process of the sandbox took sock[active]: the init no longer accepts on it */
    struct mapping *relay; /* listens inside where that process asked, relaying to the host socket */
    struct sockaddr_storage relay_addr;
    socklen_t relay_len;
};

/* One socket of a connection: [0] the accepted one, [1] the one this init or Java connected. */
struct side {
    int type; /* EP_SIDE */
    struct conn *conn;
};

enum conn_state { WAIT_HOST, CONNECTING, OPEN, CLOSED };

struct conn {
    struct side side[2];
    int fd[2];
    int pipe[2][2]; /* pipe[d]: bytes read from fd[d] on their way to fd[1 - d]; [0] read end, [1] write end */
    size_t pending[2];
    size_t capacity[2]; /* of pipe[d] */
    int grown[2];       /* pipe[d] was offered BIG_PIPE */
    int eof[2];         /* fd[d] has no more to read */
    int shut[2];        /* fd[1 - d] got its SHUT_WR */
    enum conn_state state;
    int tried_ipv6;
    uint32_t request_id;
    struct timespec asked; /* when K_HOST_CONNECT went out (WAIT_HOST) */
    struct mapping *map;
    struct conn *prev, *next; /* every connection */
    int again;                /* on the again list: its turn ended with work left */
    struct conn *again_next;
    struct conn *dead_next; /* closed, freed after the current batch of events (which may still name it) */
};

/* A datagram from a client of an exposed UDP port, held until the client's host socket comes. */
struct held {
    struct held *next;
    size_t len;
    unsigned char data[];
};

/* A UDP client address with the socket that carries its datagrams on (and their replies back). */
struct peer {
    int type; /* EP_PEER */
    int fd;   /* connected to 127.0.0.1:port inside (published), or the host's (exposed; -1 while waiting for it) */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct timespec last;
    struct mapping *map;
    struct peer *next;
    struct peer *dead_next;
    int waiting; /* exposed: K_HOST_CONNECT went out, no answer yet */
    uint32_t request_id;
    struct held *held, **held_tail;
    size_t held_bytes;
};

static int epoll_fd = -1;
static forward_ask_host ask_host;
static struct mapping *mappings[FORWARD_MAX_MAPPINGS];
static int nmappings;
static struct conn *conns;
static struct conn *again_list;
static struct conn *dead_conns;
static struct peer *dead_peers;
static uint32_t next_request_id = 1;
static int npeers;
static int nconns;
static long fd_budget = 1024 - FD_RESERVE; /* descriptors forwarding may hold, from the hard limit */
static int accept_paused;                  /* some mapping is paused */
static int host_asks;                      /* connections in WAIT_HOST */
static int expose_paused; /* the exposed listeners are not watched while host_asks is at HOST_ASKS_MAX */
static unsigned char datagram[UDP_MAX];

void forward_set_ask_host(forward_ask_host ask) {
    ask_host = ask;
}

int forward_fd(void) {
    return epoll_fd;
}

/*
 * Made on first use: the epoll instance, and the descriptor limit raised to the hard one (a connection holds six
 * descriptors); the processes the init starts get the soft limit back (exec_set_nofile_soft).
 */
static int ensure_started(struct failure *f) {
    if (epoll_fd >= 0) return 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            exec_set_nofile_soft(rl.rlim_cur);
            rl.rlim_cur = rl.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &rl) < 0) getrlimit(RLIMIT_NOFILE, &rl);
        }
        rlim_t usable = rl.rlim_cur > (1u << 30) ? (1u << 30) : rl.rlim_cur;
        fd_budget = (long)usable > FD_RESERVE ? (long)usable - FD_RESERVE : 0;
    }
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    return epoll_fd < 0 ? fail(f, errno, "create the epoll instance for port forwarding") : 0;
}

static int watch(int fd, uint32_t events, void *ptr) {
    struct epoll_event ev = { .events = events, .data.ptr = ptr };
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * Before a close: epoll drops a registration only when the last copy of the file closes, and a child the init
 * forked may hold one; its events would then name a conn or peer already freed.
 */
static void unwatch(int fd) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

static void watch_exposed(int on) {
    expose_paused = !on;
    for (int i = 0; i < nmappings; i++) {
        if (!mappings[i]->expose || (on && mappings[i]->paused)) continue;
        struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = mappings[i] };
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, mappings[i]->fd, &ev);
    }
}

/* Descriptors were freed: listeners that ran out of them are watched again. */
static void resume_accepting(void) {
    if (!accept_paused) return;
    accept_paused = 0;
    for (int i = 0; i < nmappings; i++) {
        struct mapping *map = mappings[i];
        if (!map->paused) continue;
        map->paused = 0;
        if (map->expose && expose_paused) continue; /* watch_exposed(1) brings it back */
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = map };
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, map->fd, &ev);
    }
}

static void pause_accepting(struct mapping *map) {
    struct epoll_event ev = { .events = 0, .data.ptr = map };
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, map->fd, &ev);
    map->paused = 1;
    accept_paused = 1;
}

static int fds_left(long needed) {
    return (long)nconns * CONN_FDS + npeers + needed <= fd_budget;
}

/* A connection leaves WAIT_HOST: its slot is free again. */
static void host_answered(struct conn *c) {
    if (c->state != WAIT_HOST) return;
    host_asks--;
    if (expose_paused && host_asks < HOST_ASKS_MAX) watch_exposed(1);
}

static struct mapping *add_mapping(int type, int fd, int expose, uint32_t port, struct failure *f) {
    if (nmappings == FORWARD_MAX_MAPPINGS) {
        fail(f, ENOSPC, "forward port %u: more than %d mappings", port, FORWARD_MAX_MAPPINGS);
        return NULL;
    }
    struct mapping *map = calloc(1, sizeof *map);
    if (map == NULL) {
        fail(f, ENOMEM, "forward port %u", port);
        return NULL;
    }
    *map = (struct mapping){ .type = type, .fd = fd, .expose = expose, .port = port, .sock = { -1, -1 } };
    if (watch(fd, EPOLLIN, map) < 0) {
        fail(f, errno, "forward port %u: watch the socket", port);
        free(map);
        return NULL;
    }
    mappings[nmappings++] = map;
    return map;
}

int forward_publish(const struct publish_request *p, struct failure *f) {
    int fd AUTO_CLOSE = p->fd;
    int twin AUTO_CLOSE = p->twin;
    if (ensure_started(f) < 0) return -1;
    /* Our own copy's flags: accept4 and recvfrom below must not block the init. */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return fail(f, errno, "publish port %u: make the host socket non-blocking", p->port);
    }
    int type = p->transport == TRANSPORT_UDP ? EP_UDP : EP_LISTENER;
    struct mapping *map = add_mapping(type, fd, 0, p->port, f);
    if (map == NULL) return -1;
    if (p->bypass) {
        map->bypass = 1;
        map->sock[0] = fd;
        map->sock[1] = take_fd(&twin);
    }
    take_fd(&fd);
    return 0;
}

int forward_expose(uint16_t port, uint32_t transport, struct failure *f) {
    if (ensure_started(f) < 0) return -1;
    int udp = transport == TRANSPORT_UDP;
    int fd AUTO_CLOSE = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(f, errno, "expose host port %u: socket", port);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /*
     * Sandboxes sharing one network namespace (startSharingNetwork) may expose the same host port: their inits
     * (the same user) all listen, the kernel spreads the connections, and the port stays reachable until the last
     * of them ends.
     */
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, EXPOSE_ADDRESS, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        return fail(f, errno, "expose host port %u%s: %s on %s:%u in the sandbox", port, udp ? "/udp" : "",
                    udp ? "bind" : "listen", EXPOSE_ADDRESS, port);
    }
    if (!udp && listen(fd, 4096) < 0) return fail(f, errno, "expose host port %u: listen", port);
    if (add_mapping(udp ? EP_UDP : EP_LISTENER, fd, 1, port, f) == NULL) return -1;
    take_fd(&fd);
    return 0;
}

/* An abortive close: the peer sees a reset, as it would from a port nobody listens on. */
static void reset(int fd) {
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void drop_mapping(struct mapping *map) {
    for (int i = 0; i < nmappings; i++) {
        if (mappings[i] == map) {
            mappings[i] = mappings[--nmappings];
            break;
        }
    }
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, map->fd, NULL);
    close(map->fd);
    map->fd = -1;
    if (map->paused) resume_accepting();
    if (map->count == 0) {
        free(map);
    } else {
        map->dead = 1; /* its connections go on; the last one frees it */
    }
}

static void close_conn(struct conn *c, int abortive) {
    host_answered(c);
    if (c->again) {
        for (struct conn **p = &again_list; *p != NULL; p = &(*p)->again_next) {
            if (*p == c) {
                *p = c->again_next;
                break;
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        if (c->fd[i] >= 0) {
            unwatch(c->fd[i]);
            if (abortive) {
                reset(c->fd[i]);
            } else {
                close(c->fd[i]);
            }
        }
        for (int j = 0; j < 2; j++) {
            if (c->pipe[i][j] >= 0) close(c->pipe[i][j]);
        }
    }
    if (c->prev != NULL) c->prev->next = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
    if (conns == c) conns = c->next;
    if (--c->map->count == 0 && c->map->dead) free(c->map);
    c->map = NULL;
    nconns--;
    resume_accepting();
    c->state = CLOSED;
    c->dead_next = dead_conns;
    dead_conns = c;
}

static int connect_inside(struct conn *c, int ipv6) {
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int rc;
    if (ipv6) {
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)c->map->port) };
        sa.sin6_addr = in6addr_loopback;
        rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->map->port) };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    if (rc < 0 && errno != EINPROGRESS) {
        close_keep_errno(fd);
        return -1;
    }
    c->fd[1] = fd;
    c->state = CONNECTING;
    return watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->side[1]);
}

static struct conn *new_conn(struct mapping *map, int accepted) {
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->fd[0] = accepted;
    c->fd[1] = -1;
    c->map = map;
    for (int i = 0; i < 2; i++) {
        c->side[i] = (struct side){ .type = EP_SIDE, .conn = c };
        c->pipe[i][0] = c->pipe[i][1] = -1;
    }
    c->next = conns;
    if (conns != NULL) conns->prev = c;
    conns = c;
    map->count++;
    nconns++;
    return c;
}

/*
 * pipe[d] is made when fd[d] first has bytes: pipes count against the user's pipe budget (pipe-user-pages-soft,
 * shared with everything else the user runs), and idle connections, or the quiet direction of one, need none.
 * Over that budget the kernel makes pipes of one page: the capacity is asked, not assumed.
 */
static int ensure_pipe(struct conn *c, int d) {
    if (c->pipe[d][1] >= 0) return 0;
    if (pipe2(c->pipe[d], O_NONBLOCK | O_CLOEXEC) < 0) return -1;
    int size = fcntl(c->pipe[d][0], F_GETPIPE_SZ);
    c->capacity[d] = size > 0 ? (size_t)size : 4096;
    return 0;
}

/*
 * Room left in pipe[d]. A pipe found half full is grown once: it is full before its bytes reach its capacity when
 * they sit in partly used pages (socket buffers spliced in), so "full" cannot be told from the byte count alone.
 */
static size_t room(struct conn *c, int d) {
    if (c->pending[d] >= c->capacity[d] / 2 && !c->grown[d]) {
        c->grown[d] = 1;
        for (size_t want = BIG_PIPE; want > c->capacity[d]; want /= 2) {
            int size = fcntl(c->pipe[d][1], F_SETPIPE_SZ, (int)want);
            if (size > 0 && (size_t)size > c->capacity[d]) c->capacity[d] = (size_t)size;
            if (size > 0 || errno != EPERM) break; /* EPERM: above pipe-max-size, or the budget is spent */
        }
    }
    return c->capacity[d] - c->pending[d];
}

/* Moves what fd[d] has to fd[1 - d] until neither side can take a step, or the budget is spent. */
static int move(struct conn *c, int d, size_t *budget) {
    int src = c->fd[d], dst = c->fd[1 - d];
    for (;;) {
        int progressed = 0;
        if (!c->eof[d] && *budget > 0 && c->pipe[d][1] < 0) {
            char byte;
            ssize_t n = recv(src, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n > 0) {
                if (ensure_pipe(c, d) < 0) return -1;
                progressed = 1;
            } else if (n == 0) {
                c->eof[d] = 1;
                progressed = 1;
            } else if (errno != EAGAIN && errno != EINTR) {
                return -1;
            }
        }
        /*
         * Fill the pipe with all the source has before emptying it: one large splice out (fuller segments, fewer
         * pushes) instead of one per segment that arrived meanwhile.
         */
        size_t space;
        while (!c->eof[d] && c->pipe[d][1] >= 0 && (space = room(c, d)) > 0 && *budget > 0) {
            ssize_t n = splice(src, NULL, c->pipe[d][1], NULL, space, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                c->pending[d] += (size_t)n;
                *budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
                progressed = 1;
            } else if (n == 0) {
                c->eof[d] = 1;
                progressed = 1;
            } else if (errno == EAGAIN) {
                break; /* the source is drained, or the pipe has no slot left */
            } else if (errno != EINTR) {
                return -1;
            }
        }
        if (c->pending[d] > 0) {
            ssize_t n = splice(c->pipe[d][0], NULL, dst, NULL, c->pending[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                c->pending[d] -= (size_t)n;
                progressed = 1;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (n == 0) errno = EPIPE;
                return -1; /* the receiving side is gone */
            }
        }
        if (c->eof[d] && c->pending[d] == 0 && !c->shut[d]) {
            shutdown(dst, SHUT_WR); /* half-close travels on */
            c->shut[d] = 1;
        }
        if (!progressed) return 0;
    }
}

/*
 * What an event says a turn may find: READY_IN(d) fd[d] may have bytes or an EOF, READY_OUT(d) fd[d] may take
 * bytes. A direction is tried only where one of its ends woke up (edge-triggered: every end that did is drained to
 * EAGAIN), so the quiet direction of a bulk transfer costs no syscall per wake-up.
 */
#define READY_IN(d) (1u << (d))
#define READY_OUT(d) (4u << (d))
#define READY_ALL 15u

/* One turn of an open connection; it closes when both directions ended or either side failed. */
static void pump(struct conn *c, unsigned ready) {
    size_t budget = TURN_BUDGET;
    for (int d = 0; d < 2; d++) {
        if (!(ready & READY_IN(d)) && !(c->pending[d] > 0 && (ready & READY_OUT(1 - d)))) continue;
        if (move(c, d, &budget) < 0) {
            /* A side that was reset or went away: the other learns by a reset, so a cut-off stream never looks whole. */
            close_conn(c, errno == ECONNRESET || errno == EPIPE || errno == EMFILE || errno == ENFILE);
            return;
        }
    }
    if (c->shut[0] && c->shut[1]) {
        close_conn(c, 0);
        return;
    }
    if (budget == 0 && !c->again) {
        c->again = 1; /* data may be left on a socket whose edge was consumed */
        c->again_next = again_list;
        again_list = c;
    }
}

/* The connection towards the server (inside, or on the host) completed or failed. */
static void connected(struct conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return;
    if (err == 0) {
        int probe = 0; /* a completed connect reports no error but may still be unconnected: ask the peer */
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        if (getpeername(c->fd[1], (struct sockaddr *)&peer, &plen) < 0) probe = errno;
        if (probe == ENOTCONN) return;
        err = probe;
    }
    if (err != 0) {
        if (!c->map->expose && !c->tried_ipv6) {
            c->tried_ipv6 = 1;
            unwatch(c->fd[1]);
            close(c->fd[1]);
            c->fd[1] = -1;
            if (connect_inside(c, 1) == 0) return;
        }
        close_conn(c, 1); /* refused: the client learns at once */
        return;
    }
    c->state = OPEN;
    pump(c, READY_ALL);
}

static void on_side(struct side *s, uint32_t events) {
    struct conn *c = s->conn;
    if (c->state == OPEN) {
        int i = s == &c->side[1];
        unsigned ready = 0;
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ready |= READY_IN(i);
        if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) ready |= READY_OUT(i);
        pump(c, ready);
    } else if (c->state == CONNECTING && s == &c->side[1]) {
        connected(c);
    }
    /* Else the client spoke before the server side exists: its bytes wait in its socket. */
}

static void on_accept(struct mapping *map) {
    for (int i = 0; i < 64; i++) {
        if (map->expose && host_asks >= HOST_ASKS_MAX) return; /* an event of this batch, before the pause */
        int fd = accept4(map->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* Out of descriptors (another holder than ours): wait for a connection to close, do not spin. */
            if (errno == EMFILE || errno == ENFILE) pause_accepting(map);
            return;
        }
        if (map->count >= FORWARD_MAX_CONNECTIONS || !fds_left(CONN_FDS)) {
            reset(fd);
            continue;
        }
        struct conn *c = new_conn(map, fd);
        if (c == NULL) {
            reset(fd);
            continue;
        }
        if (watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->side[0]) < 0) {
            close_conn(c, 1);
            continue;
        }
        if (map->expose) {
            c->state = WAIT_HOST;
            c->request_id = next_request_id++;
            clock_gettime(CLOCK_MONOTONIC, &c->asked);
            host_asks++;
            ask_host(c->request_id, map->port, TRANSPORT_TCP, map->published);
            if (host_asks >= HOST_ASKS_MAX) {
                watch_exposed(0);
                return;
            }
        } else if (connect_inside(c, 0) < 0) {
            close_conn(c, 1);
        }
    }
}

static int peer_answered(const struct host_socket_answer *a);

void forward_host_socket(const struct host_socket_answer *a) {
    struct conn *c = conns;
    while (c != NULL && !(c->state == WAIT_HOST && c->request_id == a->id)) c = c->next;
    if (c == NULL) {
        if (!peer_answered(a) && a->fd >= 0) close(a->fd);
        return;
    }
    if (a->fd < 0) {
        close_conn(c, 1);
        return;
    }
    host_answered(c);
    c->fd[1] = a->fd;
    c->state = CONNECTING;
    if (watch(a->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->side[1]) < 0) close_conn(c, 1);
}

/* A UDP client's host socket came (or not): it stops waiting, and its slot among the asks is free again. */
static void peer_stops_waiting(struct peer *p) {
    if (!p->waiting) return;
    p->waiting = 0;
    host_asks--;
    if (expose_paused && host_asks < HOST_ASKS_MAX) watch_exposed(1);
}

static void drop_peer(struct peer *p) {
    struct peer **at = &p->map->peers;
    while (*at != p) at = &(*at)->next;
    *at = p->next;
    peer_stops_waiting(p);
    while (p->held != NULL) {
        struct held *h = p->held;
        p->held = h->next;
        free(h);
    }
    if (p->fd >= 0) {
        unwatch(p->fd);
        close(p->fd);
    }
    p->type = 0; /* an event of this batch for it is ignored */
    p->map->count--;
    npeers--;
    resume_accepting();
    p->dead_next = dead_peers;
    dead_peers = p;
}

static struct peer *find_peer(struct mapping *map, const struct sockaddr_storage *addr, socklen_t len) {
    struct peer *oldest = NULL;
    for (struct peer *p = map->peers; p != NULL; p = p->next) {
        if (p->addr_len == len && memcmp(&p->addr, addr, len) == 0) return p;
        if (oldest == NULL || p->last.tv_sec < oldest->last.tv_sec) oldest = p;
    }
    if (map->expose && host_asks >= HOST_ASKS_MAX) return NULL; /* a new client of an exposed port must ask Java */
    if (map->count >= FORWARD_MAX_UDP_PEERS && oldest != NULL) drop_peer(oldest);
    if (!fds_left(1)) return NULL; /* the datagram is lost, as UDP may lose it */
    struct peer *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->held_tail = &p->held;
    if (map->expose) {
        p->fd = -1; /* Java connects one on the host: K_HOST_CONNECT below */
    } else {
        p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)map->port) };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || watch(p->fd, EPOLLIN, p) < 0) {
            if (p->fd >= 0) close(p->fd);
            free(p);
            return NULL;
        }
    }
    p->type = EP_PEER;
    p->addr = *addr;
    p->addr_len = len;
    p->map = map;
    p->next = map->peers;
    map->peers = p;
    map->count++;
    npeers++;
    if (map->expose) {
        p->waiting = 1;
        p->request_id = next_request_id++;
        clock_gettime(CLOCK_MONOTONIC, &p->last);
        host_asks++;
        ask_host(p->request_id, map->port, TRANSPORT_UDP, 0);
        if (host_asks >= HOST_ASKS_MAX) watch_exposed(0);
    }
    return p;
}

/* Keeps a datagram of a client whose host socket is on its way; beyond HELD_BYTES_MAX it is lost, as UDP may be. */
static void hold(struct peer *p, size_t len) {
    if (p->held_bytes + len > HELD_BYTES_MAX) return;
    struct held *h = malloc(sizeof *h + len);
    if (h == NULL) return;
    h->next = NULL;
    h->len = len;
    memcpy(h->data, datagram, len);
    *p->held_tail = h;
    p->held_tail = &h->next;
    p->held_bytes += len;
}

/* Java's answer for a UDP client of an exposed port: 1 if it was one (a->fd is taken), 0 otherwise. */
static int peer_answered(const struct host_socket_answer *a) {
    for (int i = 0; i < nmappings; i++) {
        if (!mappings[i]->expose || mappings[i]->type != EP_UDP) continue;
        for (struct peer *p = mappings[i]->peers; p != NULL; p = p->next) {
            if (!p->waiting || p->request_id != a->id) continue;
            peer_stops_waiting(p);
            if (a->fd < 0 || watch(a->fd, EPOLLIN, p) < 0) {
                if (a->fd >= 0) close(a->fd);
                drop_peer(p); /* its datagrams are lost; the next one asks again */
                return 1;
            }
            p->fd = a->fd;
            while (p->held != NULL) {
                struct held *h = p->held;
                p->held = h->next;
                send(p->fd, h->data, h->len, MSG_DONTWAIT);
                free(h);
            }
            p->held_tail = &p->held;
            p->held_bytes = 0;
            return 1;
        }
    }
    return 0;
}

/* Datagrams from host clients, each sent on by the client's own socket inside. */
static void on_udp(struct mapping *map) {
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(map->fd, datagram, sizeof datagram, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
        if (n < 0) return;
        struct peer *p = find_peer(map, &from, len);
        if (p == NULL) continue;
        if (p->waiting) {
            hold(p, (size_t)n);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &p->last);
        send(p->fd, datagram, (size_t)n, MSG_DONTWAIT); /* UDP: what cannot be sent is lost */
    }
}

/* Replies from the server inside, back to the client they belong to. */
static void on_peer(struct peer *p) {
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(p->fd, datagram, sizeof datagram, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            continue; /* ECONNREFUSED: an earlier datagram found no server; keep the peer */
        }
        clock_gettime(CLOCK_MONOTONIC, &p->last);
        sendto(p->map->fd, datagram, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&p->addr, p->addr_len);
    }
}

static void expire_peers(void) {
    if (npeers == 0) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (int i = 0; i < nmappings; i++) {
        struct peer *p = mappings[i]->peers;
        while (p != NULL) {
            struct peer *next = p->next;
            long idle = p->waiting ? HOST_ANSWER_SECONDS : FORWARD_UDP_IDLE_SECONDS;
            if (now.tv_sec - p->last.tv_sec >= idle) drop_peer(p);
            p = next;
        }
    }
}

/* Requests Java never answered (it could not send): their clients get a reset and their slots come free. */
static void expire_host_asks(void) {
    if (host_asks == 0) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (struct conn *c = conns, *next; c != NULL; c = next) {
        next = c->next;
        if (c->state == WAIT_HOST && now.tv_sec - c->asked.tv_sec >= HOST_ANSWER_SECONDS) close_conn(c, 1);
    }
}

static void handle_events(void);

int forward_timeout_ms(void) {
    if (again_list != NULL) return 0;
    return npeers > 0 || host_asks > 0 ? 1000 : -1;
}

void forward_run(void) {
    if (epoll_fd < 0) return;
    /* Those whose last turn ended on the budget go first: their events were consumed already. */
    struct conn *again = again_list;
    again_list = NULL;
    for (struct conn *c = again; c != NULL; c = c->again_next) c->again = 0;
    while (again != NULL) {
        struct conn *c = again;
        again = c->again_next;
        if (c->state == OPEN) pump(c, READY_ALL);
    }
    handle_events();
    expire_peers();
    expire_host_asks();
    while (dead_conns != NULL) {
        struct conn *c = dead_conns;
        dead_conns = c->dead_next;
        free(c);
    }
    while (dead_peers != NULL) {
        struct peer *p = dead_peers;
        dead_peers = p->dead_next;
        free(p);
    }
}

static void handle_events(void) {
    struct epoll_event events[MAX_EVENTS];
    int n = epoll_wait(epoll_fd, events, MAX_EVENTS, 0);
    for (int i = 0; i < n; i++) {
        int *type = events[i].data.ptr;
        switch (*type) {
        case EP_LISTENER: on_accept(events[i].data.ptr); break;
        case EP_UDP: on_udp(events[i].data.ptr); break;
        case EP_PEER: on_peer(events[i].data.ptr); break;
        case EP_SIDE: on_side(events[i].data.ptr, events[i].events); break;
        default: break;
        }
    }
}

/* The family of a host socket, and whether it is bound to an IPv4-mapped address (it then needs IPV6_V6ONLY 0). */
static int host_family(int fd, int *mapped) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    *mapped = 0;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    if (ss.ss_family == AF_INET6) *mapped = IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    return ss.ss_family;
}

/* The relay listener inside, on the address the process asked for; -1 with errno when that address is not free. */
static int relay_socket(const struct sockaddr_storage *addr, socklen_t len, int v6only) {
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, 4096) < 0) {
        close_keep_errno(fd);
        return -1;
    }
    return fd;
}

/* Makes sock[i] the listening one of the pair: the other stops listening (keeping its port: Java bound it explicitly). */
static int activate(struct mapping *map, int i) {
    if (map->active == i) return listen(map->sock[i], 4096); /* it may have been shut down by the process */
    int old = map->sock[map->active];
    if (!map->bypassed) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, old, NULL);
    shutdown(old, SHUT_RD); /* a listener's SHUT_RD stops it listening; its queued clients get a reset */
    if (listen(map->sock[i], 4096) < 0) {
        listen(old, 4096);
        if (!map->bypassed) watch(old, EPOLLIN, map);
        return -1;
    }
    map->active = i;
    map->fd = map->sock[i];
    if (!map->bypassed) watch(map->fd, EPOLLIN, map);
    return 0;
}

int forward_bypass(uint32_t port, const struct sockaddr_storage *addr, unsigned int len, int v6only,
                   forward_bypass_install install, void *ctx) {
    struct mapping *map = NULL;
    for (int i = 0; i < nmappings && map == NULL; i++) {
        if (mappings[i]->bypass && mappings[i]->port == port) map = mappings[i];
    }
    if (map == NULL) return 0;
    int pick = -1;
    for (int i = 0; i < 2 && pick < 0; i++) {
        int mapped;
        int family = host_family(map->sock[i], &mapped);
        /* an IPv4-mapped host socket takes IPv4 clients only: an IPv6-only server gets the proxy */
        if (family == addr->ss_family && !(mapped && v6only)) pick = i;
    }
    if (pick < 0) return 0;
    /* The relay first: where it cannot listen, the process's own bind would fail too, and the kernel says why. */
    struct mapping *relay = map->relay;
    int fresh = relay == NULL || map->relay_len != len || memcmp(&map->relay_addr, addr, len) != 0;
    if (fresh) {
        if (relay != NULL) drop_mapping(relay); /* a restart on another address: the old one is of no use */
        map->relay = relay = NULL;
        int fd = relay_socket(addr, len, v6only);
        if (fd < 0) return 0;
        struct failure f = { 0 };
        relay = add_mapping(EP_LISTENER, fd, 1, port, &f);
        if (relay == NULL) {
            close(fd);
            return 0;
        }
        relay->published = 1;
        if (expose_paused) {
            struct epoll_event ev = { .events = 0, .data.ptr = relay };
            epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
        }
    }
    /* Only a listening socket is handed over (an unconnected one could connect anywhere the host reaches). */
    if (activate(map, pick) < 0 || install(map->sock[pick], ctx) < 0) {
        if (fresh) drop_mapping(relay);
        return 0;
    }
    if (fresh) {
        map->relay = relay;
        map->relay_addr = *addr;
        map->relay_len = len;
    }
    if (!map->bypassed) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, map->fd, NULL); /* the process accepts now; the init's copy keeps the port */
        map->bypassed = 1;
    }
    return 1;
}
