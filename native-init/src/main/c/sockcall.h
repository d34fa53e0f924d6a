/*
 * connect(2) emulation for sandboxes with the port bypass (sockcall.c): a process there may hold host sockets (the
 * published listener and what it accepts), and no connect may ever act on one.
 */
#ifndef SANDBOX_SOCKCALL_H
#define SANDBOX_SOCKCALL_H

#include <linux/seccomp.h>
#include <sys/types.h>

/* A connect(2) of any ABI the filter judges (with F_SECCOMP_BIND the filter notifies it, see BindBypass.java). */
int sockcall_is_connect(const struct seccomp_notif *req);

/* Answers a connect(2) notification of `listener`: refused for a host socket, else done on the caller's socket. */
void sockcall_connect(int listener, const struct seccomp_notif *req);

/* Whether descriptor fd of thread tid (pidfd_getfd'd as *sock, else -1 when not open) is a host socket. */
int sockcall_foreign(int sock);

/* A child this file started ended with wait status `status` (init's reap); returns whether it was one. */
int sockcall_reaped(pid_t pid, int status);
/* Kills the children whose caller no longer waits for their answer (the init calls it on every turn of its loop). */
void sockcall_prune(void);

/* Records the network namespace of the host sockets the bypass hands out (before the first is installed). */
void sockcall_host_socket(int host);

#endif
