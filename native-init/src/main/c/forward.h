/*
 * Port forwarding by the sandbox init, which lives in the sandbox's network namespace: host sockets published
 * into the sandbox (K_PUBLISH) and host ports exposed inside it (F_EXPOSE_PORT). TCP bytes move with splice(2)
 * through a pipe per direction; UDP datagrams are relayed per client address. Limits: FORWARD_* in protocol.h.
 * Nothing here exists (not even the epoll instance) until a sandbox forwards something. It runs in the init under
 * the filter the init may hold: a system call added here must be listed in InitCalls.java.
 */
#ifndef SANDBOX_FORWARD_H
#define SANDBOX_FORWARD_H

#include <stdint.h>

#include "parse.h"
#include "util.h"

/*
 * Asks Java for a host socket connecting to 127.0.0.1:port (K_HOST_CONNECT), TCP or UDP (TRANSPORT_*);
 * forward_host_socket gets the answer.
 */
typedef void (*forward_ask_host)(uint32_t request_id, uint32_t port, uint32_t transport, int published);

void forward_set_ask_host(forward_ask_host ask);

/* Forwards a published host socket's traffic to 127.0.0.1:p->port here. Takes p->fd, also on failure. */
int forward_publish(const struct publish_request *p, struct failure *f);

/*
 * Listens (TCP) or binds (UDP) on EXPOSE_ADDRESS:port here and forwards each connection, or each client's datagrams,
 * to the host's 127.0.0.1:port through a host socket Java makes.
 */
int forward_expose(uint16_t port, uint32_t transport, struct failure *f);

/*
 * Port bypass (bypass.c): a process of the sandbox binds `port` (a published TCP container port) at addr, a wildcard
 * or loopback address of its socket's family. If that mapping allows it (F_BYPASS) and has a host socket of that
 * family, the init listens inside at addr (relaying to the host socket through Java: health checks, network peers),
 * makes that host socket the listening one, and calls install with it; once that succeeded the init stops accepting
 * on it. Returns 1 then, 0 when nothing was done (the kernel does the bind as usual). A later bind of the same port (a
 * restarted server) gets the same socket: the init keeps its copy.
 */
typedef int (*forward_bypass_install)(int host_fd, void *ctx);
struct sockaddr_storage;
int forward_bypass(uint32_t port, const struct sockaddr_storage *addr, unsigned int len, int v6only,
                   forward_bypass_install install, void *ctx);

/* Java's answer to a K_HOST_CONNECT. Takes a->fd. */
void forward_host_socket(const struct host_socket_answer *a);

/* The descriptor to poll for input (-1 while nothing is forwarded), and how long the poll may sleep (-1: forever). */
int forward_fd(void);
int forward_timeout_ms(void);

/* Moves what is ready without blocking; forgets idle UDP peers. */
void forward_run(void);

#endif
